/** Measures how long the main event loop is blocked, so diagnostics (and the bench) can prove it stays under 50 ms. */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export class EventLoopMonitor {
  private histogram: IntervalHistogram;
  private sinceStartMax = 0;
  private started = false;
  constructor() {
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
  }
  /** Stats since the last reset; the histogram's own resolution (10 ms) is subtracted from its samples. */
  stats() {
    const ms = (ns: number) => Math.max(0, ns / 1e6 - 10);
    const maxMs = ms(this.histogram.max);
    this.sinceStartMax = Math.max(this.sinceStartMax, maxMs);
    return {
      maxMs: round(maxMs),
      p99Ms: round(ms(this.histogram.percentile(99))),
      meanMs: round(Number.isNaN(this.histogram.mean) ? 0 : ms(this.histogram.mean)),
      sinceStartMaxMs: round(this.sinceStartMax),
    };
  }
  /** Starts a new measuring window; sinceStartMax then covers only what follows the first reset. */
  reset(): void {
    if (this.started) this.stats();
    this.started = true;
    this.histogram.reset();
  }
  dispose(): void {
    this.histogram.disable();
  }
}
const round = (n: number) => Math.round(n * 10) / 10;
