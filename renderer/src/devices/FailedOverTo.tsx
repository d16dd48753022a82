/**
 * The page of a device deleted by a failover: where its data went and when ("Failed over to fs2 on DATE"), with a
 * link; its shares or volumes and its backups now belong to that device, so they are listed there, not here.
 */
import { Card, Link, Text, Title3 } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { call } from '../api/client';
import { useLifeboat } from '../api/hooks';
import type { Job } from '../api/types';
import { formatTime } from '../format';
import { useSectionStyles } from '../ui/Page';
import { deviceHref, type Device } from './labels';
import { useDeviceQuery } from './useDeviceQuery';

const isFailover = (j: Job, source: string) =>
  j.type === 'device.failover' && j.status === 'succeeded' && j.objectName === source;

export function FailedOverTo({ device, jobIds }: { device: Device; jobIds: string[] }) {
  const section = useSectionStyles();
  const all = useDeviceQuery('devices.list', { all: true });
  const { jobs } = useLifeboat();
  const [fetched, setFetched] = useState<Job | null>(null);
  const live = jobs.find((j) => isFailover(j, device.name)) ?? null;
  // Older than the jobs the app holds: read the device's own jobs for it.
  useEffect(() => {
    if (live) return;
    let stop = false;
    void (async () => {
      for (const id of jobIds) {
        const r = await call('jobs.show', { id });
        if (stop) return;
        if (r.ok && isFailover(r.value.job, device.name)) return setFetched(r.value.job);
      }
    })();
    return () => {
      stop = true;
    };
  }, [live, jobIds, device.name]);
  const job = live ?? fetched;
  const target = all.data?.find((d) => d.replaces === device.name && d.status !== 'deleted') ?? null;
  const kind = device.type === 'file' ? 'shares' : 'volumes';
  return (
    <Card className={section.card} role="region" aria-labelledby="failed-over-title" data-testid="failed-over-to">
      <Title3 as="h2" id="failed-over-title">
        {target ? (
          <>
            Failed over to <Link href={deviceHref(target.name)}>{target.name}</Link>
            {job?.endedAt ? ` on ${formatTime(job.endedAt)}` : ''}
          </>
        ) : (
          'Deleted from the service'
        )}
      </Title3>
      <Text>
        {target
          ? `${target.name} serves the ${kind} of ${device.name} under the same names and owns its backups: they are listed on its page.`
          : `${device.name} is no longer part of the service; its ${kind} are not listed here.`}
      </Text>
    </Card>
  );
}
