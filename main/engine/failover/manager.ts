/** Device failover: compatible targets, prechecks, hot-first restore jobs, ownership transfer, resume and abandon. */
import type { Engine } from '../engine';

export class FailoverManager {
  constructor(readonly engine: Engine) {}
}
