/**
 * engine/faults.ts: a fault holds only at the point its variable names, nothing is enabled without one, and an unknown
 * point is an error that names the variable and its allowed points; the hold helpers end on a stop and on SIGUSR2.
 */
import { describe, expect, it } from 'vitest';
import { checkFaults, enabledPoint, fault, FAULTS, untilAborted, untilSigusr2 } from '../../main/engine/faults';
import { LifeboatError } from '../../main/shared/errors';

const thrown = (f: () => unknown): LifeboatError => {
  try {
    f();
  } catch (err) {
    return err as LifeboatError;
  }
  throw new Error('it did not throw');
};

describe('fault points', () => {
  it('are all off without their variables', () => {
    for (const [name, spec] of Object.entries(FAULTS)) {
      expect(enabledPoint(name as keyof typeof FAULTS, {})).toBeNull();
      for (const point of spec.points) expect(fault(name as 'failover', point as 'mid-copy', {})).toBe(false);
    }
    expect(fault('backup', 'uploaded', { LIFEBOAT_BACKUP_FAULT: '' })).toBe(false);
    expect(() => checkFaults({})).not.toThrow();
  });

  it('hold only at the point the variable names, and only for that fault', () => {
    const env = { LIFEBOAT_FAILOVER_FAULT: 'mid-copy' };
    expect(fault('failover', 'mid-copy', env)).toBe(true);
    expect(fault('failover', 'before-start', env)).toBe(false);
    expect(fault('replication', 'mid-copy', env)).toBe(false);
    expect(enabledPoint('failover', env)).toBe('mid-copy');
    expect(fault('restore', 'written', { LIFEBOAT_RESTORE_FAULT: 'written' })).toBe(true);
    expect(() => checkFaults({ ...env, LIFEBOAT_AGENT_FAULT: 'hold-sums' })).not.toThrow();
  });

  it('refuse an unknown point, naming the variable and the allowed points', () => {
    const err = thrown(() => fault('failover', 'mid-copy', { LIFEBOAT_FAILOVER_FAULT: 'mid-cpy' }));
    expect(err).toBeInstanceOf(LifeboatError);
    expect(err.code).toBe('invalid_input');
    expect(err.message).toBe('LIFEBOAT_FAILOVER_FAULT=mid-cpy is not a fault point.');
    expect(err.hint).toBe(
      'The points of LIFEBOAT_FAILOVER_FAULT: prechecks, restore, transfer, mid-copy, before-start.',
    );
    // checkFaults (the engine's and the agent's start) finds it in any variable, even one whose fault is not asked.
    expect(thrown(() => checkFaults({ LIFEBOAT_DEVICE_FAULT: 'catalogue' })).message).toBe(
      'LIFEBOAT_DEVICE_FAULT=catalogue is not a fault point.',
    );
    // A value that was valid before does not make a later typo pass.
    expect(fault('agent', 'mid-apply', { LIFEBOAT_AGENT_FAULT: 'mid-apply' })).toBe(true);
    const typo = thrown(() => fault('agent', 'mid-apply', { LIFEBOAT_AGENT_FAULT: 'midapply' }));
    expect(typo.hint).toBe('The points of LIFEBOAT_AGENT_FAULT: mid-apply, hold-sums.');
  });

  it('have one variable each, named LIFEBOAT_*_FAULT, with points and a description', () => {
    const specs = Object.values(FAULTS);
    expect(new Set(specs.map((s) => s.env)).size).toBe(specs.length);
    for (const s of specs) {
      expect(s.env).toMatch(/^LIFEBOAT_[A-Z]+_FAULT$/);
      expect(s.points.length).toBeGreaterThan(0);
      expect(s.about.length).toBeGreaterThan(0);
    }
  });
});

describe('holds', () => {
  it('end when the job is stopped, or at once when it already is', async () => {
    const stop = new AbortController();
    let ended = false;
    const held = untilAborted(stop.signal).then(() => (ended = true));
    await Promise.resolve();
    expect(ended).toBe(false);
    stop.abort();
    await held;
    expect(ended).toBe(true);
    await untilAborted(AbortSignal.abort());
  });

  it('wait for SIGUSR2 with the listener in place before the announcement', async () => {
    const before = process.listenerCount('SIGUSR2');
    const lines: string[] = [];
    // The "test" signals as soon as it reads the announcement, from within it: the hold still ends.
    await untilSigusr2(() => {
      lines.push('fault-point');
      process.emit('SIGUSR2', 'SIGUSR2');
    });
    expect(lines).toEqual(['fault-point']);
    expect(process.listenerCount('SIGUSR2')).toBe(before);
  });
});
