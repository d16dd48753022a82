/**
 * Device reads stay current: they reload when a device, share, volume or failover job ends, on the engine's
 * `device.changed` event (status, shares, volumes or policy changed by any client: this UI, the CLI, the console),
 * and on alerts about them (the usage scan's over-quota alert).
 */
import { useEngineEvent } from '../api/hooks';
import { useQuery, type Query } from '../api/query';
import type { CallInput, CallName, CallOutput, Job } from '../api/types';

const DEVICE_JOBS = /^(device|devices|failover|share|shares|volume|volumes)[.:-]?/;

const ITEM_KINDS = new Set(['device', 'share', 'volume']);

export const isDeviceJob = (job: Job) => DEVICE_JOBS.test(job.type) || job.objectKind === 'device';

export function useDeviceQuery<N extends CallName>(name: N, input: CallInput<N>, about?: string): Query<CallOutput<N>> {
  const q = useQuery(name, input, { reloadOnJob: isDeviceJob });
  useEngineEvent((event) => {
    const e = event as { type: string; device?: string };
    if (e.type === 'device.changed' && (!about || !e.device || e.device === about)) q.reload();
    // The engine's periodic usage scan raises alerts (over quota, oversized image) without another event.
    if (event.type === 'alert.raised' && ITEM_KINDS.has(event.alert.objectKind ?? '')) q.reload();
  });
  return q;
}
