/**
 * Failover of a protected item through the real CLI on real files (docs/failover.md): a planned failover whose shutdown
 * command stops a live writer is byte-identical to the source at shutdown, zero loss; change point then commit; an
 * unplanned failover with the source gone; kill -9 of the CLI mid-failover (the copy complete, not yet in place), then
 * the next command takes the job back and finishes it; bad input, each a clear error naming the phase and next step.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildMain, CLI, cli, ok, readDb, tempHome, until } from '../helpers/home';
import { age, BLOCK, vmLab, writeAt } from '../helpers/replication-lab';

beforeAll(buildMain, 120_000);

let writerPid: string | null = null;
let writerScript = '';
afterEach(() => {
  // The shutdown command has usually stopped the writer already, and its pid may since belong to another process:
  // kill it only while that pid still runs this test's writer script, and ignore that it is gone meanwhile.
  const [pid, script] = [Number(writerPid), writerScript];
  [writerPid, writerScript] = [null, ''];
  if (!pid || !script) return;
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return; // gone
  }
  if (!cmdline.split('\0').includes(script)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited between the check and the kill
  }
});

interface Job<R = Record<string, unknown>> {
  id: string;
  status: string;
  attempts: number;
  result: R;
  error?: { message: string };
}
interface FailoverResult {
  point: { id: string };
  disks: { name: string; path: string }[];
  folders: { name: string; path: string }[];
  shutdown: { exitCode: number; output: string } | null;
  start: { exitCode: number; output: string } | null;
  finalCycleBytes: number | null;
  sourceUnreachable: boolean;
  lossSeconds: number;
  warnings: string[];
}
interface Shown {
  phase: string;
  activeSite: string;
  failover: { type: string; pointId: string } | null;
  disks: { activePath: string; replicaPath: string; testPath: string | null }[];
  folders: { activePath: string }[];
}

/** A writer that writes random blocks to the image until it is killed; its pid goes to `pidFile`. */
const WRITER = `
const fs = require('fs'), crypto = require('crypto');
const [disk, pidFile] = process.argv.slice(2);
fs.writeFileSync(pidFile, String(process.pid));
const fd = fs.openSync(disk, 'r+'), pause = new Int32Array(new SharedArrayBuffer(4));
for (;;) { fs.writeSync(fd, crypto.randomBytes(4096), 0, 4096, Math.floor(Math.random() * 60) * 65536); Atomics.wait(pause, 0, 0, 10); }`;

function failed(r: ReturnType<typeof cli>): { code: string; message: string; hint?: string } {
  expect(r.code, r.stdout).not.toBe(0);
  return r.json<{ error: { code: string; message: string; hint?: string } }>().error;
}

function lab(extra: string[] = []) {
  const { home, root, disk } = vmLab(4 << 20);
  const folder = path.join(path.dirname(disk), 'data');
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(folder, 'a.txt'), 'alpha\n');
  age(path.join(folder, 'a.txt'));
  age(folder);
  ok(cli(home, ['site', 'add', 'dr', '--root', root]));
  ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s']));
  ok(
    cli(home, [
      'item',
      'protect',
      'vm',
      '--disk',
      disk,
      '--folder',
      folder,
      '--recovery-site',
      'dr',
      '--policy',
      'fast',
      ...extra,
    ]),
  );
  return { home, root, disk, folder, show: () => ok(cli(home, ['item', 'show', 'vm', '--json'])).json<Shown>() };
}

describe('failover of a protected item through the CLI', () => {
  it('planned: the shutdown command stops the writer, a final cycle, and the failed-over disk is the source at shutdown', async () => {
    const pidFile = path.join(tempHome('lifeboat-writer-'), 'pid');
    const shutdown = `kill $(cat ${pidFile}); while kill -0 $(cat ${pidFile}) 2>/dev/null; do sleep 0.05; done; echo writer stopped`;
    const l = lab(['--shutdown', shutdown, '--start', 'echo starting from $LIFEBOAT_PATH']);
    // Started in the background of a shell that exits, so the writer is not this process's child: once killed, it is
    // reaped at once and the shutdown command sees it gone.
    const script = path.join(path.dirname(pidFile), 'writer.js');
    fs.writeFileSync(script, WRITER);
    writerScript = script;
    spawnSync('sh', ['-c', '"$0" "$1" "$2" "$3" >/dev/null 2>&1 &', process.execPath, script, l.disk, pidFile]);
    const writing = () =>
      fs.existsSync(pidFile) && fs.statSync(l.disk).mtimeMs > Date.now() - 1000 && fs.readFileSync(pidFile, 'utf8');
    writerPid = await until('the writer writing', writing, 30_000);
    fs.writeFileSync(path.join(l.folder, 'b.txt'), 'written after the last point\n');
    expect(l.show().disks[0].activePath).toBe(l.disk); // active at its source until it fails over

    const options = ok(cli(l.home, ['item', 'failover-options', 'vm', '--type', 'planned', '--json'])).json<{
      options: { option: string; lossSeconds: number }[];
    }>();
    expect(options.options.find((o) => o.option === 'latest')).toMatchObject({ lossSeconds: 0 });

    const job = ok(cli(l.home, ['item', 'failover', 'vm', '--type', 'planned', '--yes', '--json'])).json<
      Job<FailoverResult>
    >();
    expect(job.status).toBe('succeeded');
    expect(job.result.shutdown).toMatchObject({ exitCode: 0, output: 'writer stopped\n' });
    expect(job.result.warnings).toEqual([]);
    expect(job.result.finalCycleBytes).toBeGreaterThan(0);
    const site = path.join(l.root, '_active', 'vm');
    expect(job.result.start).toMatchObject({ exitCode: 0, output: `starting from ${site}\n` });
    // Zero loss: the writer is stopped, so the source now is the source at shutdown.
    const shown = l.show();
    expect(shown).toMatchObject({
      phase: 'failed-over',
      activeSite: 'dr',
      failover: { type: 'planned', pointId: job.result.point.id },
    });
    expect(shown.disks[0].activePath).toBe(path.join(site, 'disks', 'vm.img'));
    expect(fs.readFileSync(shown.disks[0].activePath).equals(fs.readFileSync(l.disk))).toBe(true);
    expect(fs.readFileSync(path.join(shown.folders[0].activePath, 'b.txt'), 'utf8')).toBe(
      'written after the last point\n',
    );
    // The replica is not the active copy: the failed-over machine writes only to its own.
    expect(shown.disks[0].replicaPath).not.toBe(shown.disks[0].activePath);

    // Already failed over: a second failover says what to do instead.
    expect(failed(cli(l.home, ['item', 'failover', 'vm', '--type', 'unplanned', '--yes', '--json']))).toMatchObject({
      code: 'not_allowed',
      message: 'vm is failed over (not committed), so a failover is not possible now.',
      hint: 'Commit it first with `lifeboat item commit vm` (or change its point with `lifeboat item change-point vm --point P`).',
    });

    // Change recovery point: the first point (the initial copy), then back to the failover's; then commit.
    const points = ok(cli(l.home, ['item', 'points', 'vm', '--json'])).json<{ id: string }[]>();
    const to = path.join(tempHome('lifeboat-point-'), 'out');
    const first = ok(cli(l.home, ['item', 'materialize', 'vm', '--point', points[0].id, '--to', to, '--json'])).json<{
      path: string;
    }>();
    const changed = ok(cli(l.home, ['item', 'change-point', 'vm', '--point', points[0].id, '--yes', '--json'])).json<
      Job<{ point: { id: string } }>
    >();
    expect(changed).toMatchObject({ status: 'succeeded', result: { point: { id: points[0].id } } });
    expect(
      fs.readFileSync(shown.disks[0].activePath).equals(fs.readFileSync(path.join(first.path, 'disks', 'vm.img'))),
    ).toBe(true);
    expect(fs.existsSync(path.join(shown.folders[0].activePath, 'b.txt'))).toBe(false);
    expect(l.show().failover?.pointId).toBe(points[0].id);
    // Nothing half-made is left beside the copy.
    expect(fs.readdirSync(path.join(l.root, '_active'))).toEqual(['vm']);

    const committed = ok(cli(l.home, ['item', 'commit', 'vm', '--yes', '--json'])).json<{
      phase: string;
      pointsDeleted: number;
    }>();
    expect(committed).toMatchObject({ phase: 'committed', pointsDeleted: points.length });
    expect(ok(cli(l.home, ['item', 'points', 'vm', '--json'])).json<unknown[]>()).toEqual([]);
    expect(fs.existsSync(path.join(l.root, 'vm'))).toBe(false);
    expect(
      fs.readFileSync(shown.disks[0].activePath).equals(fs.readFileSync(path.join(first.path, 'disks', 'vm.img'))),
    ).toBe(true);
    expect(
      failed(cli(l.home, ['item', 'change-point', 'vm', '--point', points[0].id, '--yes', '--json'])),
    ).toMatchObject({
      code: 'not_allowed',
      message: 'vm is committed (not replicating), so changing the recovery point is not possible now.',
      hint: 'Reprotect it with `lifeboat item reprotect vm`.',
    });
    expect(failed(cli(l.home, ['item', 'failover', 'vm', '--type', 'planned', '--yes', '--json']))).toMatchObject({
      code: 'not_allowed',
      message: 'vm is committed (not replicating), so a planned failover is not possible now.',
    });
  }, 240_000);

  it('unplanned with the source gone: fails over to the newest point and says the pending data was not processed', () => {
    const l = lab();
    writeAt(l.disk, 5 * BLOCK, BLOCK);
    age(l.disk);
    ok(cli(l.home, ['item', 'replicate', 'vm']));
    const atLastPoint = fs.readFileSync(l.disk);
    writeAt(l.disk, 9 * BLOCK, BLOCK); // never replicated: lost with the source
    fs.rmSync(l.disk);
    fs.rmSync(l.folder, { recursive: true });

    // A planned failover needs the source.
    type Options = { options: { available: boolean; reason: string }[] };
    const planned = ok(cli(l.home, ['item', 'failover-options', 'vm', '--type', 'planned', '--json'])).json<Options>();
    expect(planned.options[0]).toMatchObject({
      available: false,
      reason: expect.stringMatching(/^The disk vm\.img of vm is not at .*vm\.img\. Fail over unplanned\.$/),
    });

    const job = ok(
      cli(l.home, ['item', 'failover', 'vm', '--type', 'unplanned', '--point', 'latest', '--yes', '--json']),
    ).json<Job<FailoverResult>>();
    expect(job.status).toBe('succeeded');
    const notProcessed =
      /^The pending data could not be processed \(the source of vm cannot be read\): failed over to the newest processed point, of \S+; /;
    expect(job.result.warnings).toEqual([expect.stringMatching(notProcessed)]);
    expect(job.result.warnings[0]).toMatch(/what vm wrote at primary after it \(\d+ s\) is lost/);
    expect(job.result).toMatchObject({ sourceUnreachable: false, lossSeconds: expect.any(Number) });
    const shown = l.show();
    expect(shown.phase).toBe('failed-over');
    expect(fs.readFileSync(shown.disks[0].activePath).equals(atLastPoint)).toBe(true);
    expect(fs.readFileSync(path.join(shown.folders[0].activePath, 'a.txt'), 'utf8')).toBe('alpha\n');
  }, 180_000);

  it('kill -9 mid-failover: no half-made copy is shown; the next command takes the job back and finishes it', async () => {
    const l = lab();
    writeAt(l.disk, 7 * BLOCK, BLOCK);
    age(l.disk);
    const child = spawn(
      process.execPath,
      [CLI, '--home', l.home, 'item', 'failover', 'vm', '--type', 'planned', '--yes', '--json'],
      {
        env: { ...process.env, LIFEBOAT_FAILOVER_FAULT: 'mid-copy' },
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const heldJob = () =>
      readDb(
        l.home,
        (db) =>
          db.prepare("SELECT job_id FROM job_events WHERE kind = 'fault-point'").pluck().get() as string | undefined,
      );
    const jobId = await until('the failover held mid-copy', heldJob, 90_000);
    child.kill('SIGKILL');
    await exited;

    // The copy is complete but not in place: the item is failing over, active at its source, no active copy shown.
    expect(fs.readdirSync(path.join(l.root, '_active'))).toEqual(['.vm.ready']);
    const during = l.show();
    expect(during).toMatchObject({ phase: 'failing-over', activeSite: 'primary', failover: null });
    expect(during.disks[0].activePath).toBe(l.disk);
    const commit = failed(cli(l.home, ['item', 'commit', 'vm', '--yes', '--json']));
    expect(commit).toMatchObject({
      code: 'not_allowed',
      message: 'vm is failing over, so a commit is not possible now.',
    });

    // The same command follows the interrupted job, which resumes at its step.
    const job = ok(cli(l.home, ['item', 'failover', 'vm', '--type', 'planned', '--yes', '--json'])).json<
      Job<FailoverResult>
    >();
    expect(job).toMatchObject({ id: jobId, status: 'succeeded', attempts: 2 });
    const shown = l.show();
    expect(shown.phase).toBe('failed-over');
    expect(fs.readFileSync(shown.disks[0].activePath).equals(fs.readFileSync(l.disk))).toBe(true);
    expect(fs.readdirSync(path.join(l.root, '_active'))).toEqual(['vm']);
  }, 240_000);

  it('refuses bad input with the state and the next step', () => {
    const l = lab();
    const { home } = l;
    const other = path.join(tempHome('lifeboat-src-'), 'other.img');
    fs.writeFileSync(other, Buffer.alloc(BLOCK, 1));
    age(other);
    ok(cli(home, ['item', 'protect', 'other', '--disk', other, '--recovery-site', 'dr', '--policy', 'fast']));
    const otherPoint = ok(cli(home, ['item', 'points', 'other', '--json'])).json<{ id: string }[]>()[0].id;

    expect(
      failed(cli(home, ['item', 'failover', 'vm', '--type', 'planned', '--point', otherPoint, '--yes', '--json'])),
    ).toMatchObject({
      code: 'invalid_input',
      message: `--point: ${otherPoint} is a recovery point of other, not of vm.`,
    });
    const unknown = failed(
      cli(home, ['item', 'failover', 'vm', '--type', 'planned', '--point', 'rp-000000000000', '--yes', '--json']),
    );
    expect(unknown).toMatchObject({ code: 'not_found' });
    expect(
      failed(
        cli(home, [
          'item',
          'failover',
          'vm',
          '--type',
          'planned',
          '--point',
          'latest-app-consistent',
          '--yes',
          '--json',
        ]),
      ),
    ).toMatchObject({
      code: 'not_found',
      message: '--point latest-app-consistent: vm has no app-consistent point (it has no quiesce command).',
    });
    expect(failed(cli(home, ['item', 'commit', 'vm', '--yes', '--json']))).toMatchObject({
      code: 'not_allowed',
      message: 'vm is protected, so a commit is not possible now.',
      hint: 'Fail it over with `lifeboat item failover vm --type planned`.',
    });
    expect(failed(cli(home, ['item', 'cleanup-test', 'vm', '--json']))).toMatchObject({
      code: 'not_allowed',
      message: 'vm has no test failover up.',
    });
    expect(
      failed(cli(home, ['item', 'failover', 'vm', '--type', 'test', '--shutdown-source', '--yes', '--json'])),
    ).toMatchObject({ code: 'invalid_input' });
    expect(failed(cli(home, ['item', 'failover', 'vm', '--type', 'sideways', '--yes', '--json']))).toMatchObject({
      code: 'invalid_input',
    });
    // Nothing above changed the item.
    expect(l.show()).toMatchObject({ phase: 'protected', activeSite: 'primary', failover: null });
  }, 180_000);
});
