/**
 * The failover figures of `npm run bench`'s replication section (issue #17), on the replication bench's protected
 * 1 GiB image: a test failover to the latest processed point (the same copy a real failover makes, so its time from
 * the job's start to the start command is the RTO of one), cleaned up; then a planned failover while a writer writes
 * 1 MiB/s, whose shutdown command stops the writer: shutdown, final cycle and failover, from the request to the start
 * command, and whether the failed-over disk is byte-identical to the source at shutdown. Figures, not assertions.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from '../../main/engine/engine';

type Outcome<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
function value<T>(r: Outcome<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

interface FailoverJob {
  id: string;
  status: string;
  error?: { message: string };
  result?: { timeToStartMs: number; disks: { path: string }[]; warnings: string[] };
}

/** Writes a random 64 KiB block every 62.5 ms (1 MiB/s) until killed; its pid goes to a file. */
const WRITER = `
const fs = require('node:fs'), crypto = require('node:crypto');
const [image, pidFile, blocks] = process.argv.slice(1);
fs.writeFileSync(pidFile, String(process.pid));
const fd = fs.openSync(image, 'r+');
setInterval(() => fs.writeSync(fd, crypto.randomBytes(65536), 0, 65536, crypto.randomInt(Number(blocks)) * 65536), 62.5);
`;

const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function run(engine: Engine, input: Record<string, unknown>): Promise<FailoverJob> {
  const job = value(await engine.call('items.failover', { name: 'vm', ...input } as never)) as FailoverJob;
  const done = (await engine.runner.wait(job.id, 1_800_000)) as FailoverJob;
  if (done.status !== 'succeeded') throw new Error(`the failover ended ${done.status}: ${done.error?.message ?? ''}`);
  return done;
}

export async function failoverFigures(engine: Engine, image: string, work: string, log: (...a: unknown[]) => void) {
  // The failover itself is measured: a scheduled cycle on its way ends first.
  const item = engine.protection.items.store.requireItem('vm');
  const active = engine.protection.items.activeJob(item);
  if (active) await engine.runner.wait(active.id, 600_000);
  const test = await run(engine, { type: 'test', point: 'latest-processed' });
  value(await engine.call('items.cleanupTest', { name: 'vm', notes: 'bench' }));
  const failoverToStartSeconds = test.result!.timeToStartMs / 1000;
  log(
    `failover to latest processed (a test failover, the same copy): ${failoverToStartSeconds} s to the start command`,
  );

  const pidFile = path.join(work, 'writer.pid');
  const writer = spawn(process.execPath, ['-e', WRITER, image, pidFile, String(fs.statSync(image).size / 65536)], {
    stdio: 'inherit',
    detached: true,
  });
  writer.unref();
  while (!fs.existsSync(pidFile)) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 5_000));
  // Killed and waited for by the shutdown command; `kill -0` sees it gone at once: it is not this process's child.
  const shutdown = `kill ${writer.pid}; while kill -0 ${writer.pid} 2>/dev/null; do sleep 0.05; done`;
  value(await engine.call('items.edit', { name: 'vm', shutdown }));
  const planned = await run(engine, { type: 'planned', point: 'latest', shutdownSource: true });
  const plannedFailoverSeconds = planned.result!.timeToStartMs / 1000;
  const identical = sha(planned.result!.disks[0].path) === sha(image);
  log(
    `planned failover (shutdown, final cycle, failover): ${plannedFailoverSeconds} s to the start command; byte-identical: ${identical}`,
  );
  return {
    failoverToStartSeconds,
    plannedFailoverSeconds,
    plannedIdentical: identical,
    plannedWarnings: planned.result!.warnings,
  };
}
