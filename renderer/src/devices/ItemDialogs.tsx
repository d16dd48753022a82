/**
 * Taking a share or volume offline (the impact must be acknowledged) and deleting one (its name typed; its data
 * stays in the device's backups). Both call the engine and show its refusal in the dialog.
 */
import { Checkbox, Field, Input, Text } from '@fluentui/react-components';
import { useState } from 'react';
import { call } from '../api/client';
import { ConfirmDialog } from '../ui/FormDialog';

export type ItemKind = 'share' | 'volume';

const OFFLINE_IMPACT: Record<ItemKind | 'device', string> = {
  share:
    'Hosts lose access to the share until it is brought online; on disk it becomes read-only, and jobs that write to it wait. Take it offline on the hosts first.',
  volume:
    'Initiators lose access to the volume until it is brought online; its image becomes read-only, and jobs that write to it wait. Take it offline on the hosts first.',
  device:
    'Hosts lose access to all its shares or volumes until the device is brought online again, and its scheduled backups pause. Use it for maintenance.',
};

/** Takes a share, a volume, or (kind "device", name = the device) a whole device offline, once the impact is acknowledged. */
export function OfflineDialog({
  kind,
  device,
  name,
  onClose,
}: {
  kind: ItemKind | 'device';
  device: string;
  name: string;
  onClose(done: boolean): void;
}) {
  const [understood, setUnderstood] = useState(false);
  const run = () =>
    kind === 'device'
      ? call('devices.offline', { name: device })
      : call(kind === 'share' ? 'shares.offline' : 'volumes.offline', { device, name });
  return (
    <ConfirmDialog
      title={`Take “${name}” offline`}
      label={`Take the ${kind} ${name} offline`}
      testId="offline-dialog"
      errorTestId="offline-error"
      primary="Take offline"
      ready={understood}
      run={run}
      onClose={onClose}
    >
      <Text>{OFFLINE_IMPACT[kind]}</Text>
      <Checkbox
        checked={understood}
        onChange={(_, d) => setUnderstood(d.checked === true)}
        label={`I understand the impact of taking this ${kind} offline`}
      />
    </ConfirmDialog>
  );
}

export function DeleteItemDialog({
  kind,
  device,
  name,
  onClose,
}: {
  kind: ItemKind;
  device: string;
  name: string;
  onClose(done: boolean): void;
}) {
  const [typed, setTyped] = useState('');
  return (
    <ConfirmDialog
      title={`Delete “${name}”?`}
      label={`Delete the ${kind} ${name}`}
      testId="delete-item-dialog"
      errorTestId="delete-item-error"
      primary="Delete"
      ready={typed === name}
      run={() => call(kind === 'share' ? 'shares.delete' : 'volumes.delete', { device, name })}
      onClose={onClose}
    >
      <Text>
        The {kind} and its {kind === 'share' ? 'files' : 'image'} on {device} are deleted. Its data stays in the
        device&apos;s backups, from which it can be restored.
      </Text>
      <Field label={`Type the ${kind} name to confirm`} required hint={`Type ${name} exactly.`}>
        <Input value={typed} onChange={(_, v) => setTyped(v.value)} autoComplete="off" spellCheck={false} />
      </Field>
    </ConfirmDialog>
  );
}
