/**
 * Pausing a site and a group member, through the real CLI: `site pause dr` holds every item replicating to dr (no
 * cycle by hand, none from the schedule, and `item show` says why), `site resume dr` lets them run again. A paused
 * member of a replication group is left out of the group's multi-item points, and each group point says which
 * members it covers (`groupMembers` in `item points`). The schedule is ticked in process (the CLI runs no schedule).
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { buildMain, cli, ok, tempHome } from '../helpers/home';
import { age, BLOCK, makeDisk, MiB, writeAt } from '../helpers/replication-lab';

beforeAll(buildMain, 120_000);

interface Point {
  id: string;
  groupPoint: string | null;
  groupMembers: string[] | null;
}

describe('pausing a site and a group member', () => {
  it('a paused site holds its items and says why; a paused member is left out of its group points', () => {
    const home = tempHome();
    const work = tempHome('lifeboat-src-');
    const root = path.join(tempHome('lifeboat-site-'), 'dr');
    const [a, b] = ['a.img', 'b.img'].map((f) => makeDisk(path.join(work, f), MiB, [0, 3]));
    const j = <T>(args: string[]) => ok(cli(home, [...args, '--json'])).json<T>();
    ok(cli(home, ['site', 'add', 'dr', '--root', root]));
    ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s', '--app-consistent', '0']));
    for (const [name, disk] of [
      ['app-a', a],
      ['app-b', b],
    ])
      ok(
        cli(home, [
          'item',
          'protect',
          name,
          '--disk',
          disk,
          '--recovery-site',
          'dr',
          '--policy',
          'fast',
          '--group',
          'g',
        ]),
      );

    // Pause the site: both items are held, and say so.
    const pointsBefore = j<Point[]>(['item', 'points', 'app-a']).length;
    expect(j<{ name: string; paused: boolean }>(['site', 'pause', 'dr'])).toMatchObject({ name: 'dr', paused: true });
    expect(j<{ name: string; paused: boolean }[]>(['site', 'list']).find((s) => s.name === 'dr')?.paused).toBe(true);
    const held = j<{ sitePaused: string | null; paused: boolean; healthReasons: string[] }>(['item', 'show', 'app-a']);
    expect(held).toMatchObject({ sitePaused: 'dr', paused: false });
    expect(held.healthReasons).toContain('Replication is paused: the site dr is paused (`lifeboat site resume dr`).');
    const refused = cli(home, ['item', 'replicate', 'app-b']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr + refused.stdout).toContain('The site dr is paused, so app-b does not replicate.');
    expect(j<Point[]>(['item', 'points', 'app-a'])).toHaveLength(pointsBefore);

    // Resume it: cycles run again, and the group point covers both members.
    expect(j<{ paused: boolean }>(['site', 'resume', 'dr']).paused).toBe(false);
    expect(j<{ sitePaused: string | null }>(['item', 'show', 'app-a']).sitePaused).toBeNull();
    writeAt(a, 5 * BLOCK, BLOCK);
    age(a);
    ok(cli(home, ['item', 'replicate', 'app-a']));
    const both = j<Point[]>(['item', 'points', 'app-a']).at(-1)!;
    expect(both.groupPoint).not.toBeNull();
    expect(both.groupMembers).toEqual(['app-a', 'app-b']);

    // Pause one member: the next group point is app-a's alone, and says so; app-b has no new point.
    ok(cli(home, ['item', 'pause', 'app-b']));
    const bPoints = j<Point[]>(['item', 'points', 'app-b']).length;
    writeAt(a, 7 * BLOCK, BLOCK);
    writeAt(b, 7 * BLOCK, BLOCK);
    age(a);
    age(b);
    ok(cli(home, ['item', 'replicate', 'app-a']));
    const alone = j<Point[]>(['item', 'points', 'app-a']).at(-1)!;
    expect(alone.id).not.toBe(both.id);
    expect(alone.groupMembers).toEqual(['app-a']);
    expect(j<Point[]>(['item', 'points', 'app-b'])).toHaveLength(bPoints);

    // Back in: the member rejoins the group's points.
    ok(cli(home, ['item', 'resume', 'app-b']));
    ok(cli(home, ['item', 'replicate', 'app-a']));
    expect(j<Point[]>(['item', 'points', 'app-a']).at(-1)!.groupMembers).toEqual(['app-a', 'app-b']);
    expect(j<Point[]>(['item', 'points', 'app-b'])).toHaveLength(bPoints + 1);
  }, 300_000);

  it('the schedule starts no cycle of an item whose site is paused, and starts it once the site is resumed', async () => {
    const home = tempHome();
    const disk = makeDisk(path.join(tempHome('lifeboat-src-'), 'vm.img'), MiB, [0]);
    ok(cli(home, ['site', 'add', 'dr', '--root', path.join(tempHome('lifeboat-site-'), 'dr')]));
    ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s']));
    ok(cli(home, ['item', 'protect', 'vm', '--disk', disk, '--recovery-site', 'dr', '--policy', 'fast']));
    ok(cli(home, ['site', 'pause', 'dr']));
    const engine = Engine.open({ dataDir: home, mode: 'cli', runJobs: false });
    try {
      const later = new Date(Date.now() + 3600_000);
      expect(engine.protection.scheduler.tick(later)).toEqual([]);
      expect(await engine.call('sites.resume', { name: 'dr' })).toMatchObject({ ok: true, value: { paused: false } });
      expect(engine.protection.scheduler.tick(later)).toEqual(['vm']);
    } finally {
      await engine.close();
    }
  }, 300_000);
});
