/** A page's error: the engine's message and what to do, optionally dismissable. */
import { Button, MessageBar, MessageBarActions, MessageBarBody } from '@fluentui/react-components';
import { DismissRegular } from '@fluentui/react-icons';
import type { ErrorInfo } from '../api/types';

export function ErrorBar({ error, onDismiss }: { error: ErrorInfo | null | undefined; onDismiss?: () => void }) {
  if (!error) return null;
  return (
    <MessageBar intent="error">
      <MessageBarBody>
        {error.message} {error.hint}
      </MessageBarBody>
      {onDismiss && <MessageBarActions containerAction={<Button appearance="transparent" aria-label="Dismiss" icon={<DismissRegular />} onClick={onDismiss} />} />}
    </MessageBar>
  );
}
