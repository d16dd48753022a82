/** Delete a recovery plan, confirmed: its items stay protected; refused (and said here) while a run is on its way. */
import { Text } from '@fluentui/react-components';
import { call } from '../api/client';
import { ConfirmDialog } from '../ui/FormDialog';

export function DeletePlanDialog({ name, onClose }: { name: string; onClose(deleted: boolean): void }) {
  return (
    <ConfirmDialog
      title={`Delete the recovery plan “${name}”?`}
      label={`Delete recovery plan ${name}`}
      testId="delete-plan-dialog"
      primary="Delete plan"
      run={() => call('plans.delete', { name })}
      onClose={onClose}
    >
      <Text>Its groups and actions are deleted; its items stay protected and keep replicating.</Text>
    </ConfirmDialog>
  );
}
