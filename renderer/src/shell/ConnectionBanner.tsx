/** Web mode only: says so while the WebSocket to the engine is down and being re-established. */
import { MessageBar, MessageBarBody, MessageBarTitle, Spinner } from '@fluentui/react-components';
import { useConnection } from '../api/hooks';

export function ConnectionBanner() {
  const state = useConnection();
  if (state !== 'reconnecting') return null;
  return (
    <MessageBar intent="warning" layout="multiline" icon={<Spinner size="extra-tiny" />} role="status">
      <MessageBarBody>
        <MessageBarTitle>Reconnecting to Lifeboat…</MessageBarTitle>
        The connection to the engine was lost and Lifeboat keeps trying. If Lifeboat was restarted, open the address it
        printed when it started.
      </MessageBarBody>
    </MessageBar>
  );
}
