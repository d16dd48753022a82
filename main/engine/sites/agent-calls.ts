/**
 * The calls a paired installation may make to a site agent, each with its argument schema: the `SiteAgent` interface
 * (sites/agent.ts) served by a local agent on the agent's root, plus ping, the throughput probe and the reads of a source
 * side (sites/agent-source-calls.ts). Names of items, disks and folders are checked here too, so even the paired
 * installation cannot reach outside the agent's root.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { LifeboatError } from '../../shared/errors';
import { COMMANDS } from '../replication/commands';
import type { CommitHooks, SiteAgent } from './agent';
import { DeviceOpRequest, runDeviceOp } from './agent-device';
import { decodeRecords } from './agent-protocol';
import { SOURCE_CALLS } from './agent-source-calls';
import { fsyncPath } from './block-records';

const Id = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/);
const FileName = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => !s.includes('/') && !s.includes('\0') && s !== '.' && s !== '..', 'a file name, not a path');
const Ref = z.object({ id: Id, name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/) });
const Marker = z.object({ id: Id, name: z.string().min(1).max(100) });
const Layout = Ref.extend({ disks: z.array(FileName), folders: z.array(FileName) });
const Manifest = z.looseObject({
  pointId: Id,
  disks: z.array(z.looseObject({ name: FileName, size: z.number().int().nonnegative() })),
  folders: z.array(z.looseObject({ name: FileName })),
});
const Meta = z.object({ mode: z.number().int().nonnegative(), mtimeMs: z.number() });
const Absolute = z.string().refine((p) => path.isAbsolute(p), 'an absolute path on the agent host');
const Slot = z.enum(['active', 'test']);
/** An item's command: one line as typed, a bounded timeout, only LIFEBOAT_* variables (never PATH, LD_PRELOAD, …). */
const CommandReq = z.object({
  name: z.enum(COMMANDS),
  command: z
    .string()
    .min(1)
    .max(4096)
    .refine((c) => !/[\r\n\0]/.test(c) && c.trim() !== '', 'a command on one line'),
  timeoutMs: z
    .number()
    .int()
    .min(1000)
    .max(24 * 3600_000),
  env: z
    .record(
      z.string().regex(/^LIFEBOAT_[A-Z_]{1,40}$/),
      z
        .string()
        .max(1024)
        .refine((v) => !v.includes('\0')),
    )
    .refine((e) => Object.keys(e).length <= 16),
});

/** What a call handler gets besides its arguments. */
export interface CallContext {
  agent: SiteAgent;
  /** The agent's data root (device roots live in its devices/ folder). */
  root: string;
  /** The agent's state folder: probe files go there, and nothing may be materialized into it. */
  stateDir: string;
  /** The request body, for calls that stream data in. */
  body: Readable;
  /** Sends a chunk of data back (calls that stream data out), with backpressure. */
  send: (chunk: Buffer) => Promise<void>;
  hooks: CommitHooks;
}

interface CallDef {
  /** Arguments come in the x-lifeboat-args header and the body is data; otherwise the body is the JSON arguments. */
  streamsIn?: boolean;
  args: z.ZodType<unknown[]>;
  run: (args: never[], ctx: CallContext) => Promise<unknown>;
}

const BLOCKS_BODY_MAX = 64 << 20;

async function readAll(body: Readable, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += (chunk as Buffer).length;
    if (n > max)
      throw new LifeboatError(
        'invalid_input',
        `The request body is over ${max} bytes.`,
        'Send blocks in smaller batches.',
      );
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

const def = <A extends unknown[]>(
  args: z.ZodType<A>,
  run: (args: A, ctx: CallContext) => Promise<unknown>,
  streamsIn = false,
): CallDef => ({
  args: args as z.ZodType<unknown[]>,
  run: run as unknown as CallDef['run'],
  streamsIn,
});

function probeFile(stateDir: string, id: string): string {
  return path.join(stateDir, `probe-${id}`);
}

export const CALLS: Record<string, CallDef> = {
  ping: def(z.tuple([]), async () => ({ at: new Date().toISOString() })),
  prepareSite: def(z.tuple([Marker]), ([m], c) => c.agent.prepareSite(m)),
  checkSite: def(z.tuple([Marker]), async ([m], c) => {
    const check = (c.agent as Partial<SiteAgent> & { checkSite?: (m: { id: string; name: string }) => Promise<void> })
      .checkSite;
    if (check) await check.call(c.agent, m);
  }),
  space: def(z.tuple([]), (_, c) => c.agent.space()),
  prepareItem: def(z.tuple([Layout]), ([l], c) => c.agent.prepareItem(l)),
  recover: def(z.tuple([Ref]), ([r], c) => c.agent.recover(r)),
  beginCycle: def(z.tuple([Ref, Id]), ([r, id], c) => c.agent.beginCycle(r, id)),
  abortCycle: def(z.tuple([Ref, Id]), ([r, id], c) => c.agent.abortCycle(r, id)),
  commitCycle: def(z.tuple([Ref, Id, Manifest]), ([r, id, m], c) => c.agent.commitCycle(r, id, m as never, c.hooks)),
  points: def(z.tuple([Ref]), ([r], c) => c.agent.points(r)),
  deletePoints: def(z.tuple([Ref, z.array(Id)]), ([r, ids], c) => c.agent.deletePoints(r, ids)),
  removeItem: def(z.tuple([Ref]), ([r], c) => c.agent.removeItem(r)),
  materialize: def(z.tuple([Ref, Id, Absolute]), async ([r, id, to], c) => {
    const rel = path.relative(c.stateDir, path.resolve(to));
    if (!rel.startsWith('..') && !path.isAbsolute(rel))
      throw new LifeboatError(
        'invalid_input',
        `--to: ${to} is inside the agent's own state folder.`,
        'Give another folder on the agent host.',
      );
    return c.agent.materialize(r, id, to);
  }),
  placeCopy: def(z.tuple([Ref, Slot, Id]), ([r, slot, id], c) => c.agent.placeCopy(r, slot, id)),
  removeCopy: def(z.tuple([Ref, Slot]), ([r, slot], c) => c.agent.removeCopy(r, slot)),
  dropReplica: def(z.tuple([Ref]), ([r], c) => c.agent.dropReplica(r)),
  adoptCopy: def(z.tuple([Ref]), async ([r], c) => c.agent.adoptCopy?.(r)),
  /** Reads for replicating back from this site (sites/agent-source-calls.ts). */
  ...SOURCE_CALLS,
  runCommand: def(z.tuple([CommandReq]), ([req], c) => c.agent.runCommand(req)),
  device: def(z.tuple([DeviceOpRequest]), ([req], c) => runDeviceOp(c.root, req)),
  writeBlocks: def(
    z.tuple([Ref, Id, FileName]),
    async ([r, id, disk], c) => c.agent.writeBlocks(r, id, disk, decodeRecords(await readAll(c.body, BLOCKS_BODY_MAX))),
    true,
  ),
  writeFile: def(
    z.tuple([Ref, Id, FileName, z.string().min(1).max(4096), Meta]),
    ([r, id, folder, rel, meta], c) => c.agent.writeFile(r, id, folder, rel, c.body, meta),
    true,
  ),
  blockChecksums: def(
    z.tuple([
      Ref,
      FileName,
      z
        .number()
        .int()
        .min(4096)
        .max(64 << 20),
    ]),
    async ([r, disk, size], c) => {
      const sums = await c.agent.blockChecksums(r, disk, size);
      for (let i = 0; i < sums.length; i += 1 << 20) await c.send(sums.subarray(i, i + (1 << 20)));
      return { bytes: sums.length };
    },
  ),
  /** Writes the body to a probe file and fsyncs it: the write half of `site test`. */
  probeWrite: def(
    z.tuple([]),
    async (_, c) => {
      const id = crypto.randomBytes(8).toString('hex');
      const file = probeFile(c.stateDir, id);
      await pipeline(c.body, fs.createWriteStream(file, { mode: 0o600 }));
      await fsyncPath(file);
      return { id, bytes: (await fsp.stat(file)).size };
    },
    true,
  ),
  /** Sends a probe file back and deletes it: the read half. */
  probeRead: def(z.tuple([z.string().regex(/^[0-9a-f]{16}$/)]), async ([id], c) => {
    const file = probeFile(c.stateDir, id);
    try {
      let bytes = 0;
      for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
        bytes += (chunk as Buffer).length;
        await c.send(chunk as Buffer);
      }
      return { bytes };
    } finally {
      await fsp.rm(file, { force: true });
    }
  }),
};
