/**
 * The failover wizard's two choices: the backup to restore (the newest by default, or an earlier one with what it
 * loses) and the target device, each target with the facts that decide it (status, registration, capacity, free
 * space, domain, software version).
 */
import {
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Radio,
  RadioGroup,
  Spinner,
  Text,
  tokens,
} from '@fluentui/react-components';
import type { FailoverBackup, TargetFacts } from '../../../main/shared/device-schemas';
import { formatBytes, formatTime } from '../format';
import { ErrorBar } from '../pages/ErrorBar';
import { BACKUP_KIND_LABEL, STATUS_LABEL, type Device } from './labels';
import { useDeviceQuery } from './useDeviceQuery';

const muted = { color: tokens.colorNeutralForeground3 };
const FINAL_TEXT = 'It was taken at deactivation, so no data is lost.';
const NOT_FINAL_TEXT = 'It is not a final backup: what was written on the source after it is lost.';

function backupLine(b: FailoverBackup): string {
  const what = `${BACKUP_KIND_LABEL[b.kind]} · ${b.files} file${b.files === 1 ? '' : 's'}, ${formatBytes(b.bytes)}`;
  return `${formatTime(b.createdAt)} · ${what}`;
}

/** The backups of the source, newest first; `value` null means the newest. */
export function BackupPicker({
  source,
  value,
  onChange,
}: {
  source: Device;
  value: string | null;
  onChange(id: string | null): void;
}) {
  const q = useDeviceQuery('failover.backups', { source: source.name }, source.name);
  if (q.error) return <ErrorBar error={q.error} />;
  if (!q.data) return <Spinner size="tiny" label="Reading the backups…" />;
  const list = q.data;
  const chosen = list.find((b) => b.id === value) ?? list[0];
  if (!chosen)
    return (
      <MessageBar intent="error" layout="multiline">
        <MessageBarBody>
          <MessageBarTitle>This device has no backup.</MessageBarTitle>A failover restores a backup of the source;
          without one there is nothing to fail over.
        </MessageBarBody>
      </MessageBar>
    );
  return (
    <>
      <RadioGroup
        aria-label="Backup to restore"
        data-field="backup"
        value={chosen.id}
        onChange={(_, v) => onChange(v.value === list[0].id ? null : v.value)}
        data-testid="failover-backups"
      >
        {list.map((b) => (
          <Radio
            key={b.id}
            value={b.id}
            data-backup={b.id}
            label={
              <>
                {backupLine(b)}
                <Text block size={200} style={b.loses ? { color: tokens.colorPaletteDarkOrangeForeground1 } : muted}>
                  {b.loses ? `Loses: ${b.loses.text}.` : 'The newest backup (the default).'}
                </Text>
              </>
            }
          />
        ))}
      </RadioGroup>
      <MessageBar
        intent={chosen.kind === 'final' ? 'info' : 'warning'}
        layout="multiline"
        data-testid="failover-backup"
      >
        <MessageBarBody>
          <MessageBarTitle>
            {chosen.kind === 'final' ? 'Planned failover' : 'Unplanned failover'}: the backup of{' '}
            {formatTime(chosen.createdAt)} ({BACKUP_KIND_LABEL[chosen.kind]}) is restored.
          </MessageBarTitle>
          {chosen.kind === 'final' ? FINAL_TEXT : NOT_FINAL_TEXT}
        </MessageBarBody>
      </MessageBar>
    </>
  );
}

/** One line of facts about a target, with what its registration means for the failover. */
export function TargetFactsLine({ facts }: { facts: TargetFacts }) {
  const parts = [
    STATUS_LABEL[facts.status],
    `capacity ${formatBytes(facts.capacity)}`,
    facts.freeBytes === null ? 'free space unknown' : `${formatBytes(facts.freeBytes)} free on its disk`,
    facts.domain ? `domain ${facts.domain}` : 'no domain',
    `software ${facts.softwareVersion}`,
  ];
  return (
    <>
      <Text block size={200} style={muted} data-testid="target-facts">
        {parts.join(' · ')}
      </Text>
      {!facts.registered && (
        <Text block size={200} data-testid="target-unregistered">
          Not registered yet: the failover registers it with this service first, as it takes over.
        </Text>
      )}
    </>
  );
}
