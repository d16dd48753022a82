/** An error from the engine as the UI shows it (ui/screen-errors.ts): the message, then what to do; optionally dismissable. */
import { Button, MessageBar, MessageBarActions, MessageBarBody, MessageBarTitle } from '@fluentui/react-components';
import { DismissRegular } from '@fluentui/react-icons';
import type { ErrorInfo } from '../api/types';
import { labelledMessage, placesForCommands } from './screen-errors';

export function ErrorBar({
  error,
  onDismiss,
  alert,
  testId,
}: {
  error: Pick<ErrorInfo, 'message' | 'hint' | 'field'> | null | undefined;
  onDismiss?: () => void;
  alert?: boolean;
  testId?: string;
}) {
  if (!error) return null;
  return (
    <MessageBar intent="error" layout="multiline" role={alert ? 'alert' : undefined} data-testid={testId}>
      <MessageBarBody>
        <MessageBarTitle>{placesForCommands(labelledMessage(error))}</MessageBarTitle>
        {error.hint && placesForCommands(error.hint)}
      </MessageBarBody>
      {onDismiss && (
        <MessageBarActions
          containerAction={
            <Button appearance="transparent" aria-label="Dismiss" icon={<DismissRegular />} onClick={onDismiss} />
          }
        />
      )}
    </MessageBar>
  );
}
