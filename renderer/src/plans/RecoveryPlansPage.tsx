/**
 * Recovery plans: the list of plans with their state (the items' common phase, or a run on its way) and last run;
 * Create, Edit, Run and Delete; under the list, the selected plan's steps and its latest run as a job whose groups
 * and actions are steps, with Confirm on a manual action the run waits on.
 */
import {
  Button,
  Link,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Title3,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { AddRegular, DeleteRegular, EditRegular, FlowchartRegular, PlayRegular } from '@fluentui/react-icons';
import { useState } from 'react';
import { useQuery } from '../api/query';
import type { Job } from '../api/types';
import { JobStatusBadge } from '../jobs/JobStatusBadge';
import { ErrorBar } from '../ui/ErrorBar';
import { Page, useSectionStyles } from '../ui/Page';
import { DeletePlanDialog } from './DeletePlanDialog';
import type { PlanView } from './draft';
import { PlanEditor } from './PlanEditor';
import { PlanRunView } from './PlanRunView';
import { RunPlanWizard } from './RunPlanWizard';

const useStyles = makeStyles({
  table: { minWidth: '760px' },
  muted: { color: tokens.colorNeutralForeground3 },
  actions: { display: 'flex', gap: tokens.spacingHorizontalXS },
  detail: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalM,
    paddingTop: tokens.spacingVerticalM,
  },
  steps: { margin: 0, paddingLeft: tokens.spacingHorizontalXL },
});

const isPlanJob = (j: Job) => j.type === 'plan.run' || j.objectKind === 'item';

export function RecoveryPlansPage() {
  const styles = useStyles();
  const section = useSectionStyles();
  const plans = useQuery('plans.list', {}, { reloadOnJob: isPlanJob });
  const [editing, setEditing] = useState<PlanView | 'new' | null>(null);
  const [running, setRunning] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [run, setRun] = useState<Job | null>(null);
  const list = plans.data ?? [];
  const current = list.find((p) => p.name === selected) ?? null;
  const create = (
    <Button appearance="primary" icon={<AddRegular />} onClick={() => setEditing('new')}>
      Create a recovery plan
    </Button>
  );
  const [deleting, setDeleting] = useState<string | null>(null);
  const latest = run && run.objectName === current?.name ? run : null;

  return (
    <Page
      title="Recovery plans"
      description="Ordered groups of protected items that fail over together, with actions between groups."
      actions={list.length ? create : undefined}
    >
      <ErrorBar error={plans.error} />
      {plans.loading && !plans.data ? (
        <Spinner label="Loading recovery plans…" />
      ) : list.length === 0 ? (
        <section className={section.empty} aria-labelledby="plans-empty-title">
          <FlowchartRegular fontSize={40} />
          <Title3 as="h2" id="plans-empty-title">
            No recovery plans yet
          </Title3>
          <Text>A plan brings protected items up group by group, with scripts and manual actions between groups.</Text>
          <Text>
            Run it as a test to rehearse the recovery without touching replication, or for real when the primary site is
            down.
          </Text>
          {create}
        </section>
      ) : (
        <Table aria-label="Recovery plans" className={styles.table} size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Name</TableHeaderCell>
              <TableHeaderCell style={{ width: 90 }}>Groups</TableHeaderCell>
              <TableHeaderCell>Items</TableHeaderCell>
              <TableHeaderCell style={{ width: 140 }}>State</TableHeaderCell>
              <TableHeaderCell style={{ width: 200 }}>Last run</TableHeaderCell>
              <TableHeaderCell style={{ width: 220 }}>Actions</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {list.map((p) => (
              <TableRow key={p.name} data-plan={p.name} data-state={p.state} aria-selected={p.name === selected}>
                <TableCell>
                  <Link onClick={() => setSelected(p.name)}>
                    <Text weight="semibold">{p.name}</Text>
                  </Link>
                  {p.description && (
                    <Text block size={200} className={styles.muted}>
                      {p.description}
                    </Text>
                  )}
                </TableCell>
                <TableCell>{p.groups}</TableCell>
                <TableCell>{p.items.join(', ')}</TableCell>
                <TableCell>{p.state}</TableCell>
                <TableCell>
                  {p.lastRun ? (
                    <>
                      <Text size={200}>{p.lastRun.operation} </Text>
                      <JobStatusBadge status={p.lastRun.status} />
                    </>
                  ) : (
                    <Text className={styles.muted}>never run</Text>
                  )}
                </TableCell>
                <TableCell>
                  <div className={styles.actions}>
                    <Button
                      size="small"
                      icon={<PlayRegular />}
                      onClick={() => setRunning(p.name)}
                      aria-label={`Run ${p.name}`}
                    >
                      Run
                    </Button>
                    <Button
                      size="small"
                      icon={<EditRegular />}
                      onClick={() => setEditing(p)}
                      aria-label={`Edit ${p.name}`}
                    >
                      Edit
                    </Button>
                    <Button
                      size="small"
                      icon={<DeleteRegular />}
                      onClick={() => setDeleting(p.name)}
                      aria-label={`Delete ${p.name}`}
                    />
                  </div>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {current && (
        <section className={styles.detail} aria-label={`Plan ${current.name}`} data-testid="plan-detail">
          <Title3 as="h2">{current.name}</Title3>
          <ol className={styles.steps} aria-label={`Steps of ${current.name}`}>
            {current.lines.map((l, i) => (
              <li key={i}>
                <Text>{l}</Text>
              </li>
            ))}
          </ol>
          {latest ? <PlanRunView job={latest} /> : current.lastRun && <LastRun jobId={current.lastRun.jobId} />}
        </section>
      )}
      {editing && (
        <PlanEditor
          plan={editing === 'new' ? null : editing}
          onClose={(saved) => {
            setEditing(null);
            if (saved) setSelected(saved);
            plans.reload();
          }}
        />
      )}
      {deleting && (
        <DeletePlanDialog
          name={deleting}
          onClose={(deleted) => {
            if (deleted && selected === deleting) setSelected(null);
            setDeleting(null);
            plans.reload();
          }}
        />
      )}
      {running && (
        <RunPlanWizard
          plan={running}
          onClose={(job) => {
            const name = running;
            setRunning(null);
            if (job) {
              setSelected(name);
              setRun(job);
            }
            plans.reload();
          }}
        />
      )}
    </Page>
  );
}

/** The plan's last run, read once; then live from the store like any job. */
function LastRun({ jobId }: { jobId: string }) {
  const q = useQuery('jobs.show', { id: jobId });
  return q.data ? <PlanRunView job={q.data.job} /> : null;
}
