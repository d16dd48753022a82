/**
 * The RTO estimate a failover wizard shows before it starts (docs/failover.md, "Point options"): the bytes the copy
 * writes at the site the item fails over to, over a measured throughput, plus the steps before it (a final cycle, the
 * shutdown) and the start command's last run. The throughput is, in this order: the site's last `site test` (its write
 * speed), else the item's recent cycles (bytes sent over their durations), else an assumed 100 MiB/s, said as such.
 */
import type { SiteRow } from '../sites/store';
import type { CycleRow } from './store';

/** Copy speed assumed when nothing was measured (ext4 without reflinks, a loaded machine): 100 MiB/s. */
export const ASSUMED_BYTES_PER_SECOND = 100 << 20;
/** How many of the item's last cycles that sent data make its measured throughput. */
const CYCLES = 10;

export interface RtoBasis {
  copyBytes: number;
  bytesPerSecond: number;
  source: 'site-test' | 'cycles' | 'assumed';
  measuredAt: string | null;
  startCommandMs: number | null;
  description: string;
}

const mibs = (bps: number) => `${(bps / (1 << 20)).toFixed(bps < 10 << 20 ? 1 : 0)} MiB/s`;

/** What the estimate is based on: the site's last test, the item's recent cycles, or the assumption. */
export function rtoBasis(o: {
  site: Pick<SiteRow, 'name' | 'probe_at' | 'probe_write_bps'>;
  cycles: CycleRow[];
  copyBytes: number;
  startCommandMs: number | null;
}): RtoBasis {
  const { site, copyBytes, startCommandMs } = o;
  const start =
    startCommandMs !== null ? `, plus the start command's last run (${Math.ceil(startCommandMs / 1000)} s)` : '';
  const base = { copyBytes, startCommandMs };
  if (site.probe_write_bps && site.probe_write_bps > 0 && site.probe_at) {
    const description = `${copyBytes} bytes at ${mibs(site.probe_write_bps)}, the write speed \`lifeboat site test ${site.name}\` measured at ${site.probe_at}${start}.`;
    return {
      ...base,
      bytesPerSecond: Math.round(site.probe_write_bps),
      source: 'site-test',
      measuredAt: site.probe_at,
      description,
    };
  }
  const sent = o.cycles.filter((c) => c.ok === 1 && c.bytes_sent > 0 && c.duration_ms > 0).slice(-CYCLES);
  if (sent.length > 0) {
    const bps = Math.round(
      sent.reduce((n, c) => n + c.bytes_sent, 0) / (sent.reduce((n, c) => n + c.duration_ms, 0) / 1000),
    );
    const description = `${copyBytes} bytes at ${mibs(bps)}, the throughput of the item's last ${sent.length} cycles that sent data${start}.`;
    return { ...base, bytesPerSecond: bps, source: 'cycles', measuredAt: sent.at(-1)!.at, description };
  }
  const description = `${copyBytes} bytes at an assumed ${mibs(ASSUMED_BYTES_PER_SECOND)}: nothing was measured (run \`lifeboat site test ${site.name}\`)${start}.`;
  return { ...base, bytesPerSecond: ASSUMED_BYTES_PER_SECOND, source: 'assumed', measuredAt: null, description };
}

/** Seconds from the job's start to the start command's end: the copy, the steps before it, the start command. */
export function rtoSeconds(basis: RtoBasis, o: { finalCycleMs: number; shutdownMs: number }): number {
  return (
    Math.ceil(
      basis.copyBytes / basis.bytesPerSecond + (o.finalCycleMs + o.shutdownMs + (basis.startCommandMs ?? 0)) / 1000,
    ) + 1
  );
}
