/**
 * The RTO estimate's inputs (replication/rto-estimate.ts): the site's last `site test` first, else the item's recent
 * cycles that sent data, else an assumption said as such; the start command's last run is added to every estimate.
 */
import { describe, expect, it } from 'vitest';
import { ASSUMED_BYTES_PER_SECOND, rtoBasis, rtoSeconds } from '../../main/engine/replication/rto-estimate';
import type { CycleRow } from '../../main/engine/replication/store';

const MiB = 1 << 20;
const cycle = (at: string, bytes: number, ms: number, ok = 1): CycleRow => ({
  item_id: 'i',
  at,
  kind: 'crash',
  ok,
  bytes_sent: bytes,
  duration_ms: ms,
  rpo_seconds: null,
});
const untested = { name: 'dr', probe_at: null, probe_write_bps: null };

describe('RTO estimate', () => {
  it("is based on the site's last test when there is one, with the start command's last run", () => {
    const basis = rtoBasis({
      site: { name: 'dr', probe_at: '2027-01-04T10:00:00.000Z', probe_write_bps: 400 * MiB },
      cycles: [cycle('t', MiB, 1000)],
      copyBytes: 800 * MiB,
      startCommandMs: 3000,
    });
    expect(basis).toMatchObject({
      source: 'site-test',
      bytesPerSecond: 400 * MiB,
      measuredAt: '2027-01-04T10:00:00.000Z',
      startCommandMs: 3000,
    });
    expect(basis.description).toBe(
      `${800 * MiB} bytes at 400 MiB/s, the write speed \`lifeboat site test dr\` measured at 2027-01-04T10:00:00.000Z, plus the start command's last run (3 s).`,
    );
    // 2 s of copy, 3 s of start, 1 s of the final cycle, rounded up, plus one.
    expect(rtoSeconds(basis, { finalCycleMs: 1000, shutdownMs: 0 })).toBe(7);
  });

  it("else on the item's last cycles that sent data (failed and empty ones left out)", () => {
    const cycles = [
      cycle('a', 10 * MiB, 1000),
      cycle('b', 0, 50),
      cycle('c', 50 * MiB, 1, 0),
      cycle('d', 30 * MiB, 3000),
    ];
    const basis = rtoBasis({ site: untested, cycles, copyBytes: 100 * MiB, startCommandMs: null });
    expect(basis).toMatchObject({ source: 'cycles', bytesPerSecond: 10 * MiB, measuredAt: 'd', startCommandMs: null });
    expect(basis.description).toBe(
      `${100 * MiB} bytes at 10 MiB/s, the throughput of the item's last 2 cycles that sent data.`,
    );
    expect(rtoSeconds(basis, { finalCycleMs: 0, shutdownMs: 2000 })).toBe(13);
  });

  it('else on an assumed 100 MiB/s, said as such', () => {
    const basis = rtoBasis({ site: untested, cycles: [cycle('a', 0, 10)], copyBytes: 300 * MiB, startCommandMs: 500 });
    expect(basis).toMatchObject({ source: 'assumed', bytesPerSecond: ASSUMED_BYTES_PER_SECOND, measuredAt: null });
    expect(basis.description).toContain('at an assumed 100 MiB/s: nothing was measured (run `lifeboat site test dr`)');
    expect(rtoSeconds(basis, { finalCycleMs: 0, shutdownMs: 0 })).toBe(5);
  });
});
