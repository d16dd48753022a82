/**
 * The renderer's copy of the engine state every page shows: the service, jobs and alerts. Loaded once, then kept
 * current from events (and reloaded after a reconnect, since events sent while disconnected are lost).
 */
import type { Alert, AppBridge, EngineEvent, ErrorInfo, Job, Result, Service } from './types';

export interface LifeboatState {
  loaded: boolean;
  loadError: ErrorInfo | null;
  service: Service | null;
  /** Every job, parents and children, newest first. */
  jobs: Job[];
  /** Every alert, acknowledged or not, newest first. */
  alerts: Alert[];
}

const TERMINAL = new Set<Job['status']>(['succeeded', 'failed', 'cancelled']);
export const isTerminal = (status: Job['status']) => TERMINAL.has(status);

type Listener = () => void;

export class LifeboatStore {
  private state: LifeboatState = { loaded: false, loadError: null, service: null, jobs: [], alerts: [] };
  private listeners = new Set<Listener>();
  private settledListeners = new Set<(job: Job) => void>();
  private raisedListeners = new Set<(alert: Alert) => void>();
  /** Events that arrive while a load is in flight are replayed on top of its snapshot. */
  private buffered: EngineEvent[] | null = null;

  constructor(private readonly bridge: AppBridge) {}

  /** Subscribes to events and loads; returns the disposer. */
  start(): () => void {
    const offEvent = this.bridge.onEvent((e) => (this.buffered ? this.buffered.push(e) : this.apply(e)));
    let wasDown = false;
    const offConnection = this.bridge.onConnection((s) => {
      if (s !== 'open') wasDown = true;
      else if (wasDown) {
        wasDown = false;
        void this.load();
      }
    });
    void this.load();
    return () => {
      offEvent();
      offConnection();
    };
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = (): LifeboatState => this.state;

  /** A top-level or child job reached succeeded, failed or cancelled (seen live, not from a reload). */
  onJobSettled(listener: (job: Job) => void): () => void {
    this.settledListeners.add(listener);
    return () => this.settledListeners.delete(listener);
  }

  onAlertRaised(listener: (alert: Alert) => void): () => void {
    this.raisedListeners.add(listener);
    return () => this.raisedListeners.delete(listener);
  }

  async load(): Promise<void> {
    this.buffered = [];
    const [service, jobs, alerts] = await Promise.all([
      this.bridge.call('service.get', {}) as Promise<Result<Service | null>>,
      this.bridge.call('jobs.list', { limit: 1000 }) as Promise<Result<Job[]>>,
      this.bridge.call('alerts.list', { all: true }) as Promise<Result<Alert[]>>,
    ]);
    const failed = [service, jobs, alerts].find((r) => !r.ok);
    if (failed && !failed.ok) {
      this.set({ loadError: failed.error });
    } else if (service.ok && jobs.ok && alerts.ok) {
      this.set({ loaded: true, loadError: null, service: service.value, jobs: jobs.value, alerts: alerts.value });
    }
    const replay = this.buffered ?? [];
    this.buffered = null;
    for (const e of replay) this.apply(e, false);
  }

  /** Updates the service after a call returned it (service.changed may also arrive; both are idempotent). */
  setService(service: Service | null): void {
    this.set({ service });
  }

  apply(event: EngineEvent, live = true): void {
    switch (event.type) {
      case 'job.updated': {
        const { job } = event;
        const before = this.state.jobs.find((j) => j.id === job.id);
        const jobs = before ? this.state.jobs.map((j) => (j.id === job.id ? job : j)) : [job, ...this.state.jobs];
        this.set({ jobs });
        if (live && isTerminal(job.status) && (!before || !isTerminal(before.status)))
          for (const l of [...this.settledListeners]) l(job);
        break;
      }
      case 'job.progress': {
        const e = event;
        const jobs = this.state.jobs.map((j) => {
          if (j.id !== e.jobId) return j;
          const steps =
            e.stepIndex === null
              ? j.steps
              : j.steps.map((s) => (s.index === e.stepIndex ? { ...s, progress: e.stepProgress } : s));
          return {
            ...j,
            progress: e.progress,
            message: e.message,
            bytesDone: e.bytesDone,
            bytesTotal: e.bytesTotal,
            rate: e.rate,
            steps,
          };
        });
        this.set({ jobs });
        break;
      }
      case 'alert.raised': {
        if (this.state.alerts.some((a) => a.id === event.alert.id)) break;
        this.set({ alerts: [event.alert, ...this.state.alerts] });
        if (live) for (const l of [...this.raisedListeners]) l(event.alert);
        break;
      }
      case 'alert.updated':
        this.set({ alerts: this.state.alerts.map((a) => (a.id === event.alert.id ? event.alert : a)) });
        break;
      case 'service.changed':
        this.set({ service: event.service });
        break;
    }
  }

  private set(patch: Partial<LifeboatState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of [...this.listeners]) l();
  }
}
