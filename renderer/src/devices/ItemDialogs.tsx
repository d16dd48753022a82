/**
 * Taking a share or volume offline (the impact must be acknowledged) and deleting one (its name typed; its data
 * stays in the device's backups). Both call the engine and show its refusal in the dialog.
 */
import {
  Checkbox,
  Dialog,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  Text,
} from '@fluentui/react-components';
import { useState, type FormEvent } from 'react';
import { call } from '../api/client';
import type { ErrorInfo } from '../api/types';
import { ErrorBar } from '../ui/ErrorBar';
import { FormActions } from './FormActions';

export type ItemKind = 'share' | 'volume';

function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const run = async (fn: () => Promise<{ ok: true } | { ok: false; error: ErrorInfo }>, done: () => void) => {
    setBusy(true);
    setError(null);
    const r = await fn();
    setBusy(false);
    if (r.ok) done();
    else setError(r.error);
  };
  return { busy, error, run };
}

const OFFLINE_IMPACT: Record<ItemKind | 'device', string> = {
  share: 'Hosts lose access to the share until it is brought online; on disk it becomes read-only, and jobs that write to it wait. Take it offline on the hosts first.',
  volume: 'Initiators lose access to the volume until it is brought online; its image becomes read-only, and jobs that write to it wait. Take it offline on the hosts first.',
  device: 'Hosts lose access to all its shares or volumes until the device is brought online again, and its scheduled backups pause. Use it for maintenance.',
};

/** Takes a share, a volume, or (kind "device", name = the device) a whole device offline, once the impact is acknowledged. */
export function OfflineDialog({ kind, device, name, onClose }: { kind: ItemKind | 'device'; device: string; name: string; onClose(done: boolean): void }) {
  const [understood, setUnderstood] = useState(false);
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!understood || busy) return;
    const go = () => (kind === 'device' ? call('devices.offline', { name: device }) : call(kind === 'share' ? 'shares.offline' : 'volumes.offline', { device, name }));
    void run(go, () => onClose(true));
  };
  return (
    <Dialog open modalType="alert" onOpenChange={(_, d) => !d.open && !busy && onClose(false)}>
      <DialogSurface aria-label={`Take the ${kind} ${name} offline`} data-testid="offline-dialog">
        <form onSubmit={submit} noValidate>
          <DialogBody>
            <DialogTitle>Take “{name}” offline</DialogTitle>
            <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
              <Text>{OFFLINE_IMPACT[kind]}</Text>
              <Checkbox checked={understood} onChange={(_, d) => setUnderstood(d.checked === true)} label={`I understand the impact of taking this ${kind} offline`} />
              <ErrorBar error={error} alert testId="offline-error" />
            </DialogContent>
            <FormActions busy={busy} label="Take offline" ready={understood} onCancel={() => onClose(false)} />
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}

export function DeleteItemDialog({ kind, device, name, onClose }: { kind: ItemKind; device: string; name: string; onClose(done: boolean): void }) {
  const [typed, setTyped] = useState('');
  const { busy, error, run } = useAction();
  const matches = typed === name;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!matches || busy) return;
    void run(() => call(kind === 'share' ? 'shares.delete' : 'volumes.delete', { device, name }), () => onClose(true));
  };
  return (
    <Dialog open modalType="alert" onOpenChange={(_, d) => !d.open && !busy && onClose(false)}>
      <DialogSurface aria-label={`Delete the ${kind} ${name}`} data-testid="delete-item-dialog">
        <form onSubmit={submit} noValidate>
          <DialogBody>
            <DialogTitle>Delete “{name}”?</DialogTitle>
            <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
              <Text>
                The {kind} and its {kind === 'share' ? 'files' : 'image'} on {device} are deleted. Its data stays in the device&apos;s backups, from which it can be restored.
              </Text>
              <Field label={`Type the ${kind} name to confirm`} required hint={`Type ${name} exactly.`}>
                <Input value={typed} onChange={(_, v) => setTyped(v.value)} autoComplete="off" spellCheck={false} />
              </Field>
              <ErrorBar error={error} alert testId="delete-item-error" />
            </DialogContent>
            <FormActions busy={busy} label="Delete" ready={matches} onCancel={() => onClose(false)} />
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}
