/** Disable protection of an item, confirmed: its replica and recovery points are deleted unless "keep" is checked. */
import { Checkbox, MessageBar, MessageBarBody, Text } from '@fluentui/react-components';
import { useState } from 'react';
import { call } from '../api/client';
import { ConfirmDialog } from '../ui/FormDialog';

export function DisableItemDialog({ name, onClose }: { name: string; onClose(disabled: boolean): void }) {
  const [keep, setKeep] = useState(false);
  return (
    <ConfirmDialog
      title={`Disable protection of “${name}”?`}
      label={`Disable protection of ${name}`}
      testId="disable-item-dialog"
      primary="Disable protection"
      run={() => call('items.disable', { name, keepReplica: keep })}
      onClose={onClose}
    >
      <MessageBar intent="warning" layout="multiline">
        <MessageBarBody>
          Replication stops.{' '}
          {keep
            ? 'The replica and its points stay at the recovery site.'
            : 'Its replica and every recovery point are deleted.'}
        </MessageBarBody>
      </MessageBar>
      <Text>The machine itself is not touched: its disks and folders stay where they are.</Text>
      <Checkbox
        checked={keep}
        onChange={(_, d) => setKeep(d.checked === true)}
        label="Keep the replica and its recovery points at the recovery site"
      />
    </ConfirmDialog>
  );
}
