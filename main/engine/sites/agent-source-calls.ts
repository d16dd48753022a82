/**
 * Reading an item's disks and folders at a site agent, for replication from the agent's site back to the primary (a
 * reprotect after a failover to the agent site, then reverse cycles and the failback's final cycle: the source side
 * of replication/agent-source.ts). The calls only read: a stat, a disk's data extents, the 64 KiB block checksums of a
 * range of a disk's blocks (blocks in holes are never read: their checksum is zeros), ranges of a disk or a file, and
 * a folder's index. Every path must lie under the agent's root, checked on its real path (links resolved), never be
 * the root itself, and never be in or hold the agent's own state folder (its keys); every range is bounded. Hashing
 * runs in worker threads (workers/pool.ts, the engine's own hashing task), so the agent's loop stays free for other calls.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { LifeboatError } from '../../shared/errors';
import { BLOCK_SIZE, HASH_BYTES } from '../replication/block-hash';
import type { HashBlocksTask } from '../replication/disk-scan';
import { dataExtents } from '../replication/extent-probe';
import { walkFolder } from '../replication/folder-scan';
import { blocksTouched } from '../repo/sparse';
import { WorkerPool } from '../workers/pool';
import { fault, untilSigusr2 } from '../faults';
import type { CallContext } from './agent-calls';
import { realish } from './agent-paths';

/** The calls of this file, for the installation's side (sites/remote-agent.ts `readAt`). */
export type SourceCallName = 'sourceStat' | 'sourceExtents' | 'sourceSums' | 'sourceRead' | 'sourceIndex';

/** Blocks one sourceSums call hashes at most (64 MiB of disk). */
export const SUMS_MAX_BLOCKS = 1024;
/** Bytes one range, and one sourceRead call in all, reads at most. */
export const RANGE_MAX = 16 << 20;
export const READ_MAX = 64 << 20;
const CHUNK = 1 << 20;

const AgentPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => path.isAbsolute(p) && !p.includes('\0'), 'an absolute path on the agent host');
const Range = z.object({
  offset: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 50),
  length: z.number().int().positive().max(RANGE_MAX),
});
const Ranges = z
  .array(Range)
  .min(1)
  .max(4096)
  .refine((rs) => rs.reduce((n, r) => n + r.length, 0) <= READ_MAX, `at most ${READ_MAX} bytes in one call`);

type Ctx = Pick<CallContext, 'root' | 'stateDir' | 'send'>;

const within = (parent: string, p: string) => {
  const rel = path.relative(parent, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

const outsideRoot = (ctx: Ctx, call: string, p: string) =>
  new LifeboatError(
    'forbidden',
    `${call}: ${p} is not a disk or folder under the agent's root ${ctx.root}.`,
    'The installation reads only the copies and replicas under the root it was paired with.',
  );

/** Whether a real path may be read: under the root (not the root), not the state folder nor a folder holding it. */
async function allowed(ctx: Ctx, target: string): Promise<boolean> {
  const [root, state] = await Promise.all([realish(ctx.root), realish(ctx.stateDir)]);
  return within(root, target) && target !== root && !within(state, target) && !within(target, state);
}

/** The path to read, once checked (its real path, links resolved). */
async function confined(ctx: Ctx, call: string, p: string): Promise<string> {
  const target = await realish(p);
  if (!(await allowed(ctx, target))) throw outsideRoot(ctx, call, p);
  return target;
}

/**
 * Opens a path that confined() passed, once, and checks what was opened, so that nothing swapped in meanwhile at the
 * agent's site is read: the open follows no link as the last component (O_NOFOLLOW) and does not wait on a FIFO
 * (O_NONBLOCK), and the real path of the open handle must still be under the root. `file` says the handle must be a
 * regular file (a FIFO would block a read, a device read without end). The caller closes the handle.
 */
export async function openConfined(
  ctx: Ctx,
  call: string,
  p: string,
  file: boolean,
): Promise<{ fh: fsp.FileHandle; st: fs.BigIntStats }> {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  const fh = await fsp.open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw outsideRoot(ctx, call, p);
    throw err;
  });
  try {
    const st = await fh.stat({ bigint: true });
    const real = await fsp.realpath(`/proc/self/fd/${fh.fd}`);
    if (!(await allowed(ctx, real))) throw outsideRoot(ctx, call, p);
    if (file && !st.isFile())
      throw new LifeboatError(
        'invalid_input',
        `${call}: ${p} is not a regular file (${st.isDirectory() ? 'a folder' : 'a FIFO, socket or device'}).`,
        'Only disk images and the files of a folder are read; move it out of the copy, and the next cycle goes on.',
      );
    return { fh, st };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

const missing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** A stat through one checked open (no link followed, no FIFO waited on); null when there is no such path. */
async function statOpen(ctx: Ctx, file: string) {
  const got = await openConfined(ctx, 'sourceStat', file, false).catch((err: unknown) =>
    missing(err) ? null : Promise.reject(err),
  );
  if (!got) return null;
  await got.fh.close();
  const { st } = got;
  return { file: st.isFile(), dir: st.isDirectory(), size: Number(st.size), mtimeNs: String(st.mtimeNs) };
}

async function stat(file: string) {
  const st = await fsp
    .stat(file, { bigint: true })
    .catch((err: unknown) => (missing(err) ? null : Promise.reject(err)));
  return st && { file: st.isFile(), dir: st.isDirectory(), size: Number(st.size), mtimeNs: String(st.mtimeNs) };
}

/** Blocks one worker task hashes (4 MiB read at once), and the tasks of one call in flight at most. */
const TASK_BLOCKS = 64;
const IN_FLIGHT = 4;

let pool: WorkerPool | null = null;
/** The worker threads that hash (the same ones the engine hashes a local source with), made at the first checksum call. */
const workers = () => (pool ??= new WorkerPool());

/** Stops the hashing threads (the agent's server closing). */
export async function closeSourceWorkers(): Promise<void> {
  const p = pool;
  pool = null;
  await p?.close();
}

/** Crash and ordering tests: LIFEBOAT_AGENT_FAULT=hold-sums holds a checksum call, its hashing under way, until SIGUSR2. */
async function holdSums(): Promise<void> {
  if (!fault('agent', 'hold-sums')) return;
  await untilSigusr2(() => process.stdout.write(`${new Date().toISOString()} fault-point sums-hashing\n`));
}

/**
 * Checksums of blocks first..first+count-1 of a disk: only data blocks read, in runs of consecutive blocks hashed in
 * worker threads, so the agent's loop answers other calls meanwhile; blocks in holes and past its end are zeros.
 */
async function sums(
  file: string,
  first: number,
  count: number,
  ctx: Ctx,
): Promise<{ bytesRead: number; size: number }> {
  const { fh, st } = await openConfined(ctx, 'sourceSums', file, true);
  await fh.close();
  const size = Number(st.size);
  const confinedTo = { root: await realish(ctx.root), stateDir: await realish(ctx.stateDir) };
  const out = Buffer.alloc(count * HASH_BYTES);
  const data = blocksTouched(await dataExtents(file), BLOCK_SIZE, size).filter((b) => b >= first && b < first + count);
  const runs: { first: number; count: number }[] = [];
  for (const b of data) {
    const last = runs.at(-1);
    if (last && last.first + last.count === b && last.count < TASK_BLOCKS) last.count++;
    else runs.push({ first: b, count: 1 });
  }
  let bytesRead = 0;
  const hashRun = async (r: { first: number; count: number }) => {
    const task = {
      op: 'replica-hash' as const,
      path: file,
      size,
      ...r,
      old: new Uint8Array(r.count * HASH_BYTES),
      hashOnly: true,
      confinedTo,
    };
    const got = await workers().run(task satisfies HashBlocksTask);
    Buffer.from(got.hashes.buffer, got.hashes.byteOffset, got.hashes.byteLength).copy(
      out,
      (r.first - first) * HASH_BYTES,
    );
    bytesRead += got.bytesRead;
  };
  let next = 0;
  const lane = async () => {
    while (next < runs.length) await hashRun(runs[next++]);
  };
  const lanes = Array.from({ length: Math.min(IN_FLIGHT, runs.length) }, lane);
  await holdSums();
  await Promise.all(lanes);
  await ctx.send(out);
  return { bytesRead, size };
}

/** Sends each range's bytes in order; a range past the file's end is short: `lengths` says how long each was. */
async function readRanges(file: string, ranges: z.infer<typeof Ranges>, ctx: Ctx): Promise<{ lengths: number[] }> {
  const { fh } = await openConfined(ctx, 'sourceRead', file, true);
  try {
    const lengths: number[] = [];
    for (const r of ranges) {
      let done = 0;
      while (done < r.length) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, r.length - done));
        const { bytesRead } = await fh.read(buf, 0, buf.length, r.offset + done);
        if (bytesRead === 0) break;
        await ctx.send(buf.subarray(0, bytesRead));
        done += bytesRead;
      }
      lengths.push(done);
    }
    return { lengths };
  } finally {
    await fh.close();
  }
}

interface SourceCall {
  args: z.ZodType<unknown[]>;
  run: (args: never[], ctx: CallContext) => Promise<unknown>;
}

/**
 * A disk or a folder's file to read must be a regular file: a FIFO would block the read (and a thread of the agent)
 * until something writes to it, a device would read without end. A missing one fails as ENOENT, as a local read does.
 */
async function regularFile(call: string, file: string): Promise<string> {
  const st = await fsp.stat(file);
  if (!st.isFile())
    throw new LifeboatError(
      'invalid_input',
      `${call}: ${file} is not a regular file (${st.isDirectory() ? 'a folder' : 'a FIFO, socket or device'}).`,
      'Only disk images and the files of a folder are read; move it out of the copy, and the next cycle goes on.',
    );
  return file;
}

const call = <A extends unknown[]>(
  name: SourceCallName,
  args: z.ZodType<A>,
  run: (file: string, args: A, ctx: Ctx) => Promise<unknown>,
): SourceCall => ({
  args: args as z.ZodType<unknown[]>,
  run: (async (a: A, ctx: CallContext) =>
    run(await confined(ctx, name, a[0] as string), a, ctx)) as unknown as SourceCall['run'],
});

export const SOURCE_CALLS: Record<SourceCallName, SourceCall> = {
  sourceStat: call('sourceStat', z.tuple([AgentPath]), (file, _args, ctx) => statOpen(ctx, file)),
  sourceExtents: call('sourceExtents', z.tuple([AgentPath]), async (file) =>
    dataExtents(await regularFile('sourceExtents', file)),
  ),
  sourceSums: call(
    'sourceSums',
    z.tuple([
      AgentPath,
      z
        .number()
        .int()
        .nonnegative()
        .max(2 ** 40),
      z.number().int().positive().max(SUMS_MAX_BLOCKS),
    ]),
    async (file, [, first, count], ctx) => sums(file, first, count, ctx),
  ),
  sourceRead: call('sourceRead', z.tuple([AgentPath, Ranges]), async (file, [, ranges], ctx) =>
    readRanges(file, ranges, ctx),
  ),
  /** A folder's index (replication/folder-scan.ts), or null when there is no such folder. */
  sourceIndex: call('sourceIndex', z.tuple([AgentPath]), async (dir) =>
    (await stat(dir))?.dir ? walkFolder(dir) : null,
  ),
};
