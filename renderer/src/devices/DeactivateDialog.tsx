/**
 * The Deactivate blade: deactivation is permanent; shares or volumes should be offline on the hosts first; a final
 * backup (planned failover) is on by default; Deactivate is enabled only when the device name is typed exactly.
 * It then follows the `devices.deactivate` job until the device is Deactivated.
 */
import {
  Button,
  Checkbox,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Text,
} from '@fluentui/react-components';
import { useState, type FormEvent } from 'react';
import { call } from '../api/client';
import { useLifeboat } from '../api/hooks';
import type { ErrorInfo, Job } from '../api/types';
import { JobProgress } from '../jobs/JobProgress';
import { JobStatusBadge } from '../jobs/JobStatusBadge';
import { ErrorBar } from '../ui/ErrorBar';
import { DialogFrame, PrimaryButton } from '../ui/FormDialog';
import type { Device } from './labels';

export function DeactivateDialog({ device, onClose }: { device: Device; onClose(job: Job | null): void }) {
  const [finalBackup, setFinalBackup] = useState(true);
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [started, setStarted] = useState<Job | null>(null);
  const { jobs } = useLifeboat();
  const job = started ? (jobs.find((j) => j.id === started.id) ?? started) : null;
  const items = device.type === 'file' ? 'shares' : 'volumes';
  const matches = typed === device.name;

  const deactivate = async (e: FormEvent) => {
    e.preventDefault();
    if (!matches || busy) return;
    setBusy(true);
    setError(null);
    const r = await call('devices.deactivate', { name: device.name, confirm: typed, finalBackup });
    setBusy(false);
    if (r.ok) setStarted(r.value);
    else setError(r.error);
  };

  const actions = !job ? (
    <>
      <Button onClick={() => onClose(null)} disabled={busy}>
        Cancel
      </Button>
      <PrimaryButton busy={busy} disabled={!matches}>
        Deactivate
      </PrimaryButton>
    </>
  ) : (
    <Button appearance="primary" onClick={() => onClose(started)}>
      Close
    </Button>
  );

  return (
    <DialogFrame
      title={`Deactivate “${device.name}”`}
      label={`Deactivate ${device.name}`}
      testId="deactivate-dialog"
      busy={busy}
      onDismiss={() => onClose(started)}
      onSubmit={deactivate}
      modalType="alert"
      actions={actions}
    >
      {!job ? (
        <>
          <MessageBar intent="warning" layout="multiline">
            <MessageBarBody>
              <MessageBarTitle>Deactivation is permanent and cannot be undone.</MessageBarTitle>A deactivated device
              takes no more backups and its {items} go offline. Its data stays in its backups, so you can fail it over
              to another device.
            </MessageBarBody>
          </MessageBar>
          <Text>
            Before you continue, take every {device.type === 'file' ? 'share' : 'volume'} offline on the hosts that use
            it, so that nothing is written after the final backup.
          </Text>
          <Checkbox
            checked={finalBackup}
            onChange={(_, d) => setFinalBackup(d.checked === true)}
            label="Take a final backup first (recommended: a planned failover then loses no data)"
          />
          <Field label="Type the device name to confirm" required hint={`Type ${device.name} exactly.`}>
            <Input
              value={typed}
              onChange={(_, v) => setTyped(v.value)}
              autoComplete="off"
              spellCheck={false}
              disabled={busy}
            />
          </Field>
          <ErrorBar error={error} alert testId="deactivate-error" />
        </>
      ) : (
        <div
          style={{ display: 'flex', flexDirection: 'column', gap: 8 }}
          data-testid="deactivate-progress"
          data-status={job.status}
        >
          <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
            <Text weight="semibold">{job.title}</Text>
            <JobStatusBadge status={job.status} />
          </div>
          <JobProgress job={job} />
          {job.message && <Text size={200}>{job.message}</Text>}
          <ErrorBar error={job.error} />
          {job.status === 'succeeded' && (
            <MessageBar intent="success" layout="multiline">
              <MessageBarBody>
                <MessageBarTitle>“{device.name}” is deactivated.</MessageBarTitle>
                Select it on the Devices page and choose Fail over to bring its {items} back on another device.
              </MessageBarBody>
            </MessageBar>
          )}
        </div>
      )}
    </DialogFrame>
  );
}
