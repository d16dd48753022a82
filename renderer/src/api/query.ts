/**
 * Reading lists the engine does not push as events (storage accounts, backups): fetch on mount, again when the
 * input changes, when a job that may have changed them ends, and on demand after an action.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { call } from './client';
import { useStore } from './hooks';
import type { CallInput, CallName, CallOutput, ErrorInfo, Job } from './types';

export interface Query<T> {
  data: T | null;
  error: ErrorInfo | null;
  loading: boolean;
  reload(): void;
}

/** Job types whose end changes accounts or backups. */
const DATA_JOBS = /^(backup|account)\./;

export function useQuery<N extends CallName>(
  name: N,
  input: CallInput<N>,
  opts: { reloadOnJob?: (job: Job) => boolean } = {},
): Query<CallOutput<N>> {
  const store = useStore();
  const [state, setState] = useState<{ data: CallOutput<N> | null; error: ErrorInfo | null; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(input);
  const reloadOnJob = useRef(opts.reloadOnJob ?? ((j: Job) => DATA_JOBS.test(j.type)));

  useEffect(() => {
    const abort = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    void call(name, JSON.parse(key) as CallInput<N>, { signal: abort.signal }).then((r) => {
      if (abort.signal.aborted) return;
      setState(
        r.ok
          ? { data: r.value, error: null, loading: false }
          : (s) => ({ data: s.data, error: r.error, loading: false }),
      );
    });
    return () => abort.abort();
  }, [name, key, tick]);

  useEffect(() => store.onJobSettled((job) => reloadOnJob.current(job) && setTick((t) => t + 1)), [store]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}
