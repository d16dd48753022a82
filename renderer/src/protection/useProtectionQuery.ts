/**
 * Protection reads stay current: they reload when a replication, site or policy job ends (an Enable protection job,
 * a cycle, a resync), and every few seconds while shown, since scheduled cycles make points without a UI action.
 */
import { useEffect } from 'react';
import { useQuery, type Query } from '../api/query';
import type { CallInput, CallName, CallOutput, Job } from '../api/types';

const PROTECTION_JOBS = /^(replication|item|items|site|sites|policy|policies)[.:-]?/;

export const isProtectionJob = (job: Job) => PROTECTION_JOBS.test(job.type) || job.objectKind === 'item';

export function useProtectionQuery<N extends CallName>(
  name: N,
  input: CallInput<N>,
  refreshMs = 5000,
): Query<CallOutput<N>> {
  const q = useQuery(name, input, { reloadOnJob: isProtectionJob });
  const { reload } = q;
  useEffect(() => {
    if (!refreshMs) return;
    const t = setInterval(reload, refreshMs);
    return () => clearInterval(t);
  }, [reload, refreshMs]);
  return q;
}
