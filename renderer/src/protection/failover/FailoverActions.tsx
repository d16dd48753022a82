/**
 * The failover actions of a protected item's page, each offered in the phase that allows it (replication/phases.ts):
 * Fail over (or Fail back) with the wizard; Clean up test failover, which asks for the drill's notes; Change recovery
 * point and Commit after a real failover; Reprotect after commit. Each confirms first and reports in the page's notice;
 * a reprotect's notice ends with what it compared and sent, once its job is done. Both directions are worded as an
 * administrator reads them: fail over to the recovery site, fail back to the primary site.
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
import { useEffect, useState } from 'react';
import { call } from '../../api/client';
import { useLifeboat, useNow } from '../../api/hooks';
import { useQuery } from '../../api/query';
import type { Job, Result } from '../../api/types';
import { jobStartedNotice, type Notice } from '../../ui/Notice';
import { ConfirmDialog, jobStarter } from '../../ui/FormDialog';
import { formatBytes } from '../../format';
import { jobEnded } from '../../../../main/shared/job-status';
import { isReversed, type ItemInfo } from '../labels';
import { FailoverWizard } from './FailoverWizard';
import { CUSTOM, PointChoice, chosenPoint } from './PointChoice';

type Dialog = 'failover' | 'cleanup' | 'change-point' | 'commit' | 'reprotect' | null;

const CAN_FAIL_OVER = ['protected', 'resync-required'];

export function FailoverActions({
  item,
  onNotice,
  reload,
}: {
  item: ItemInfo;
  onNotice(n: Notice): void;
  reload(): void;
}) {
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => {
    setDialog(null);
    reload();
  };
  const startJob = jobStarter(onNotice);
  const back = isReversed(item);
  const [reprotectJob, setReprotectJob] = useState<string | null>(null);
  useReprotectNotice(item.name, reprotectJob, onNotice, () => {
    setReprotectJob(null);
    reload();
  });
  return (
    <>
      {CAN_FAIL_OVER.includes(item.phase) && (
        <Button icon={back ? <ArrowUndoRegular /> : <ArrowForwardRegular />} onClick={() => setDialog('failover')}>
          {back ? `Fail back to ${item.primarySite}…` : `Fail over to ${item.recoverySite}…`}
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
          backTo={back ? item.primarySite : null}
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
            const body = r.ok
              ? `${r.value.pointsDeleted} recovery points deleted. Reprotect it to replicate it again.`
              : '';
            if (r.ok)
              onNotice({ intent: 'success', title: `Committed: “${item.name}” runs at ${r.value.activeSite}.`, body });
            return r;
          }}
          onClose={close}
        >
          <Text>
            {`${item.name} runs at ${item.activeSite} from the point of `}
            {item.failover ? new Date(item.failover.pointCreatedAt).toLocaleString() : 'its failover'}. Commit deletes
            its recovery points: the point can no longer be changed. Replication stays stopped until you reprotect it.
            {!back &&
              ` The copy it ran from at ${item.recoverySite} stops being the machine: it is kept only as the base the next reprotect ` +
                'compares with, so that reprotect sends only what differs.'}
          </Text>
        </ConfirmDialog>
      )}
      {dialog === 'reprotect' && (
        <ConfirmDialog
          title={`Reprotect “${item.name}”?`}
          testId="reprotect-dialog"
          primary="Reprotect"
          run={async () => {
            const r = await startJob(() => call('items.reprotect', { name: item.name }))();
            if (r.ok) setReprotectJob(r.value.id);
            return r;
          }}
          onClose={close}
        >
          <Text>
            {back
              ? `${item.name} starts replicating from ${item.activeSite}, where it runs now, back to its primary site ${item.primarySite}, ` +
                `under the failback policy. The original machine at ${item.primarySite} is shut down first, and its disks and folders are brought ` +
                'up to date with the item’s current data: block checksums are compared on both sides and only what differs is sent.'
              : `${item.name} starts replicating from ${item.activeSite} to its recovery site ${item.recoverySite} again, under its own policy. ` +
                `What is left at ${item.recoverySite} is brought up to date: block checksums are compared on both sides and only what differs is sent.`}
          </Text>
        </ConfirmDialog>
      )}
    </>
  );
}

interface ReprotectResultInfo {
  direction: string;
  policy: string;
  bytesCompared: number;
  bytesSent: number;
  warnings: string[];
}

/** Once the reprotect job it started ends: the notice says the new direction and what was compared and sent. */
function useReprotectNotice(item: string, jobId: string | null, onNotice: (n: Notice) => void, done: () => void) {
  const { jobs } = useLifeboat();
  const job = jobId ? jobs.find((j) => j.id === jobId) : undefined;
  useEffect(() => {
    if (!job || !jobEnded(job.status)) return;
    const r = job.result as ReprotectResultInfo | undefined;
    if (job.status === 'succeeded' && r)
      onNotice({
        intent: r.warnings.length ? 'warning' : 'success',
        title: `Reprotected: “${item}” replicates ${r.direction}.`,
        body:
          `${formatBytes(r.bytesSent)} sent after comparing ${formatBytes(r.bytesCompared)} on both sides; policy ${r.policy}.` +
          (r.warnings.length ? ` ${r.warnings.join(' ')}` : ''),
      });
    else onNotice({ intent: 'error', title: `The reprotect of “${item}” ${job.status}.`, body: job.error?.message });
    done();
  }, [job?.status]); // once, when the job ends
}

function CleanupTestDialog({
  item,
  onNotice,
  onClose,
}: {
  item: ItemInfo;
  onNotice(n: Notice): void;
  onClose(): void;
}) {
  const [notes, setNotes] = useState('');
  return (
    <ConfirmDialog
      title={`Clean up the test failover of “${item.name}”?`}
      testId="cleanup-test-dialog"
      primary="Clean up"
      run={async () => {
        const r = await call('items.cleanupTest', {
          name: item.name,
          ...(notes.trim() ? { notes: notes.trim() } : {}),
        });
        const title = `The test copy of “${item.name}” is removed.`;
        if (r.ok) onNotice({ intent: 'success', title, body: 'Its drill report, with your notes, is under Drills.' });
        return r;
      }}
      onClose={onClose}
    >
      <Text>
        The isolated copy at {item.recoverySite} is deleted; the replica and replication were never touched. A drill
        report keeps the point, the time to start, the commands&apos; output and your notes.
      </Text>
      <Field label="Notes for the drill report" hint="What worked, what did not, who took part.">
        <Textarea value={notes} onChange={(_, v) => setNotes(v.value)} rows={4} resize="vertical" />
      </Field>
    </ConfirmDialog>
  );
}

function ChangePointDialog({
  item,
  run,
  onClose,
}: {
  item: ItemInfo;
  run(r: () => Promise<Result<Job>>): () => Promise<Result<Job>>;
  onClose(): void;
}) {
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
          : async () => ({
              ok: false,
              error: { code: 'invalid_input', message: 'Pick a point on the timeline, or choose one of the options.' },
            })
      }
      onClose={onClose}
    >
      <Text>
        The item is stopped at {item.activeSite}, its disks and folders are replaced with another point&apos;s, and its
        start command runs again. Writes made since the failover are lost.
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
