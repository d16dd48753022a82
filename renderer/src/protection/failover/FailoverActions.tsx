/**
 * The failover actions of a protected item's page, each offered in the phase that allows it (replication/phases.ts):
 * Fail over (or Fail back) with the wizard; Clean up test failover, which asks for the drill's notes; Change recovery
 * point and Commit after a real failover; Reprotect after commit. Each confirms first and reports in the page's notice.
 */
import { Button, Field, Text, Textarea } from '@fluentui/react-components';
import {
  ArrowForwardRegular,
  ArrowUndoRegular,
  BeakerDismissRegular,
  CheckmarkCircleRegular,
  HistoryRegular,
  ShieldCheckmarkRegular,
} from '@fluentui/react-icons';
import { useState } from 'react';
import { call } from '../../api/client';
import { useNow } from '../../api/hooks';
import { useQuery } from '../../api/query';
import type { Job, Result } from '../../api/types';
import { jobStartedNotice, type Notice } from '../../devices/notice';
import { ConfirmDialog, jobStarter } from '../FormDialog';
import { isReversed, type ItemInfo } from '../labels';
import { FailoverWizard } from './FailoverWizard';
import { CUSTOM, PointChoice, chosenPoint } from './PointChoice';

type Dialog = 'failover' | 'cleanup' | 'change-point' | 'commit' | 'reprotect' | null;

const CAN_FAIL_OVER = ['protected', 'resync-required'];

export function FailoverActions({ item, onNotice, reload }: { item: ItemInfo; onNotice(n: Notice): void; reload(): void }) {
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => {
    setDialog(null);
    reload();
  };
  const startJob = jobStarter(onNotice);
  const back = isReversed(item);
  return (
    <>
      {CAN_FAIL_OVER.includes(item.phase) && (
        <Button icon={back ? <ArrowUndoRegular /> : <ArrowForwardRegular />} onClick={() => setDialog('failover')}>
          {back ? 'Fail back…' : 'Fail over…'}
        </Button>
      )}
      {item.testFailover && (
        <Button icon={<BeakerDismissRegular />} onClick={() => setDialog('cleanup')}>
          Clean up test failover
        </Button>
      )}
      {item.phase === 'failed-over' && (
        <>
          <Button icon={<HistoryRegular />} onClick={() => setDialog('change-point')}>
            Change recovery point
          </Button>
          <Button appearance="primary" icon={<CheckmarkCircleRegular />} onClick={() => setDialog('commit')}>
            Commit
          </Button>
        </>
      )}
      {item.phase === 'committed' && (
        <Button appearance="primary" icon={<ShieldCheckmarkRegular />} onClick={() => setDialog('reprotect')}>
          Reprotect
        </Button>
      )}
      {dialog === 'failover' && (
        <FailoverWizard
          item={item.name}
          onClose={(job) => {
            if (job && job.status !== 'succeeded') onNotice(jobStartedNotice(job));
            close();
          }}
        />
      )}
      {dialog === 'cleanup' && <CleanupTestDialog item={item} onNotice={onNotice} onClose={close} />}
      {dialog === 'change-point' && <ChangePointDialog item={item} run={startJob} onClose={close} />}
      {dialog === 'commit' && (
        <ConfirmDialog
          title={`Commit the failover of “${item.name}”?`}
          testId="commit-dialog"
          primary="Commit"
          run={async () => {
            const r = await call('items.commit', { name: item.name });
            const body = r.ok ? `${r.value.pointsDeleted} recovery points deleted. Reprotect it to replicate it again.` : '';
            if (r.ok) onNotice({ intent: 'success', title: `Committed: “${item.name}” runs at ${r.value.activeSite}.`, body });
            return r;
          }}
          onClose={close}
        >
          <Text>
            {`${item.name} runs at ${item.activeSite} from the point of `}
            {item.failover ? new Date(item.failover.pointCreatedAt).toLocaleString() : 'its failover'}.{' '}
            Commit deletes its recovery points: the point can no longer be changed. Replication stays stopped until you reprotect it.
          </Text>
        </ConfirmDialog>
      )}
      {dialog === 'reprotect' && (
        <ConfirmDialog
          title={`Reprotect “${item.name}”?`}
          testId="reprotect-dialog"
          primary="Reprotect"
          run={startJob(() => call('items.reprotect', { name: item.name }))}
          onClose={close}
        >
          <Text>
            {`${item.name} starts replicating from ${item.activeSite} to its other site. `}
            The machine at the other site is shut down first, and its disks and folders are overwritten with the item&apos;s current data: block checksums are
            compared on both sides and only what differs is sent.
          </Text>
        </ConfirmDialog>
      )}
    </>
  );
}

function CleanupTestDialog({ item, onNotice, onClose }: { item: ItemInfo; onNotice(n: Notice): void; onClose(): void }) {
  const [notes, setNotes] = useState('');
  return (
    <ConfirmDialog
      title={`Clean up the test failover of “${item.name}”?`}
      testId="cleanup-test-dialog"
      primary="Clean up"
      run={async () => {
        const r = await call('items.cleanupTest', { name: item.name, ...(notes.trim() ? { notes: notes.trim() } : {}) });
        const title = `The test copy of “${item.name}” is removed.`;
        if (r.ok) onNotice({ intent: 'success', title, body: 'Its drill report, with your notes, is under Drills.' });
        return r;
      }}
      onClose={onClose}
    >
      <Text>
        The isolated copy at {item.recoverySite} is deleted; the replica and replication were never touched. A drill report keeps the point, the time to
        start, the commands&apos; output and your notes.
      </Text>
      <Field label="Notes for the drill report" hint="What worked, what did not, who took part.">
        <Textarea value={notes} onChange={(_, v) => setNotes(v.value)} rows={4} resize="vertical" />
      </Field>
    </ConfirmDialog>
  );
}

function ChangePointDialog({ item, run, onClose }: { item: ItemInfo; run(r: () => Promise<Result<Job>>): () => Promise<Result<Job>>; onClose(): void }) {
  const [point, setPoint] = useState('latest-processed');
  const options = useQuery('items.failoverOptions', { name: item.name, type: 'unplanned' });
  const points = useQuery('items.points', { name: item.name });
  const now = useNow(true, 5000);
  const chosen = chosenPoint(point);
  return (
    <ConfirmDialog
      title={`Change the recovery point of “${item.name}”`}
      testId="change-point-dialog"
      primary="Change point"
      run={
        chosen
          ? run(() => call('items.changePoint', { name: item.name, point: chosen }))
          : async () => ({ ok: false, error: { code: 'invalid_input', message: 'Pick a point on the timeline, or choose one of the options.' } })
      }
      onClose={onClose}
    >
      <Text>
        The item is stopped at {item.activeSite}, its disks and folders are replaced with another point&apos;s, and its start command runs again. Writes made
        since the failover are lost.
      </Text>
      {options.data && points.data ? (
        <PointChoice
          options={options.data.options.filter((o) => o.option !== 'latest')}
          points={points.data}
          value={point}
          onChange={setPoint}
          now={now}
        />
      ) : (
        <Text>Reading the recovery points…</Text>
      )}
      {point === CUSTOM && <Text size={200}>Pick a point on the timeline.</Text>}
    </ConfirmDialog>
  );
}
