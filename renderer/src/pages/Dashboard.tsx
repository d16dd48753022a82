/**
 * The service at a glance: the service, job counts, active alerts by severity, storage across devices and accounts,
 * the devices that need attention, recent jobs, and a self-test.
 */
import {
  Button,
  Card,
  Link,
  MessageBar,
  MessageBarBody,
  Text,
  Title3,
  makeStyles,
  mergeClasses,
  tokens,
} from '@fluentui/react-components';
import { BeakerRegular } from '@fluentui/react-icons';
import { useMemo, useState } from 'react';
import { call } from '../api/client';
import { useLifeboat } from '../api/hooks';
import type { ErrorInfo, Job } from '../api/types';
import { formatTime } from '../format';
import { JobProgress } from '../jobs/JobProgress';
import { JobStatusBadge } from '../jobs/JobStatusBadge';
import { navigate } from '../shell/routes';
import { ErrorBar } from '../ui/ErrorBar';
import { StatusWarnings } from '../ui/StatusWarnings';
import { Page, useSectionStyles } from '../ui/Page';
import { SeverityBadge, severityOrder } from '../ui/severity';
import { StorageOverview } from './StorageOverview';

const useStyles = makeStyles({
  counts: { display: 'flex', gap: tokens.spacingHorizontalXL, flexWrap: 'wrap' },
  count: { display: 'flex', flexDirection: 'column' },
  number: {
    fontSize: tokens.fontSizeHero700,
    lineHeight: tokens.lineHeightHero700,
    fontWeight: tokens.fontWeightSemibold,
  },
  recent: {
    listStyle: 'none',
    margin: 0,
    padding: 0,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalM,
  },
  recentItem: {
    display: 'grid',
    gridTemplateColumns: '1fr auto',
    gap: tokens.spacingHorizontalS,
    alignItems: 'center',
  },
  wide: { gridColumn: '1 / -1' },
});

const SELFTEST = { sizeMiB: 64, seconds: 8 };

function Count({ label, value }: { label: string; value: number }) {
  const styles = useStyles();
  return (
    <div className={styles.count} data-testid={`count-${label.toLowerCase()}`}>
      <span className={styles.number}>{value}</span>
      <Text size={200}>{label}</Text>
    </div>
  );
}

export function Dashboard() {
  const styles = useStyles();
  const section = useSectionStyles();
  const { service, jobs, alerts } = useLifeboat();
  const [started, setStarted] = useState<Job | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const [registrationKey, setRegistrationKey] = useState<string | null>(null);

  const counts = useMemo(() => {
    const by = (s: Job['status']) => jobs.filter((j) => j.status === s).length;
    return {
      running: by('running'),
      queued: by('queued'),
      paused: by('paused'),
      failed: by('failed'),
      succeeded: by('succeeded'),
    };
  }, [jobs]);
  const recent = useMemo(() => jobs.filter((j) => !j.parentId).slice(0, 5), [jobs]);
  const active = useMemo(() => alerts.filter((a) => !a.acknowledged), [alerts]);

  const runSelftest = async () => {
    setBusy(true);
    setError(null);
    const r = await call('jobs.selftest', SELFTEST);
    setBusy(false);
    if (r.ok) setStarted(r.value);
    else setError(r.error);
  };

  const showRegistrationKey = async () => {
    const r = await call('service.registrationKey', {});
    if (r.ok) setRegistrationKey(r.value.registrationKey);
    else setError(r.error);
  };

  return (
    <Page
      title="Dashboard"
      description="The state of this disaster-recovery service."
      actions={
        <Button icon={<BeakerRegular />} onClick={runSelftest} disabled={busy}>
          Run self-test job
        </Button>
      }
    >
      {started && (
        <MessageBar intent="info">
          <MessageBarBody>
            Started “{started.title}”. Follow it here or on the <Link onClick={() => navigate('jobs')}>Jobs page</Link>.
          </MessageBarBody>
        </MessageBar>
      )}
      <StatusWarnings />
      <ErrorBar error={error} />
      <div className={section.grid}>
        <Card className={section.card} role="region" aria-labelledby="dash-service">
          <Title3 as="h2" id="dash-service">
            Service
          </Title3>
          {service && (
            <dl className={section.dl}>
              <dt>Name</dt>
              <dd className={section.dd}>{service.name}</dd>
              <dt>Created</dt>
              <dd className={section.dd}>{formatTime(service.createdAt)}</dd>
              <dt>How</dt>
              <dd className={section.dd}>{service.joined ? 'Joined with an existing key' : 'Created here'}</dd>
              <dt>Key fingerprint</dt>
              <dd className={mergeClasses(section.dd, section.mono)}>{service.sdekFingerprint}</dd>
              <dt>Registration key</dt>
              <dd className={mergeClasses(section.dd, section.mono)}>
                {registrationKey ?? (
                  <Link onClick={showRegistrationKey} aria-label="Show the service registration key">
                    Show
                  </Link>
                )}
              </dd>
            </dl>
          )}
        </Card>
        <Card className={section.card} role="region" aria-labelledby="dash-jobs">
          <Title3 as="h2" id="dash-jobs">
            Jobs
          </Title3>
          <div className={styles.counts}>
            <Count label="Running" value={counts.running} />
            <Count label="Queued" value={counts.queued} />
            <Count label="Paused" value={counts.paused} />
            <Count label="Failed" value={counts.failed} />
            <Count label="Succeeded" value={counts.succeeded} />
          </div>
        </Card>
        <Card className={section.card} role="region" aria-labelledby="dash-alerts">
          <Title3 as="h2" id="dash-alerts">
            Active alerts
          </Title3>
          <div className={styles.counts}>
            {severityOrder.map((s) => (
              <div key={s} className={styles.count}>
                <span className={styles.number}>{active.filter((a) => a.severity === s).length}</span>
                <SeverityBadge severity={s} />
              </div>
            ))}
          </div>
          <Link onClick={() => navigate('alerts')}>Open the Alerts page</Link>
        </Card>
        <StorageOverview />
        <Card className={mergeClasses(section.card, styles.wide)} role="region" aria-labelledby="dash-recent">
          <Title3 as="h2" id="dash-recent">
            Recent jobs
          </Title3>
          {recent.length === 0 ? (
            <Text className={section.muted}>No jobs yet. Run a self-test job to see how jobs report progress.</Text>
          ) : (
            <ul className={styles.recent}>
              {recent.map((j) => (
                <li key={j.id} className={styles.recentItem}>
                  <div>
                    <Text weight="semibold" block>
                      {j.title}
                    </Text>
                    <Text size={200} className={section.muted}>
                      {formatTime(j.createdAt)} {j.message ? `· ${j.message}` : ''}
                    </Text>
                    {(j.status === 'running' || j.status === 'paused') && <JobProgress job={j} />}
                  </div>
                  <JobStatusBadge status={j.status} />
                </li>
              ))}
            </ul>
          )}
          <Link onClick={() => navigate('jobs')}>Open the Jobs page</Link>
        </Card>
      </div>
    </Page>
  );
}
