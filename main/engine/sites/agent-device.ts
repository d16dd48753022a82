/**
 * Device data roots at a site agent: the agent runs the device agent's file operations (devices/agent.ts,
 * `LocalDeviceAgent`) on a device root on its host, for the paired installation, over the same TLS call protocol as
 * replication (one `device` call, sites/agent-calls.ts). Every path must lie under `<agent root>/devices/`, checked on
 * its real path (links resolved up to the nearest existing folder), and every other argument has its own schema, so
 * the installation can create and inspect a device's root, its share folders and volume images, and nothing else.
 * Reading a share for a backup and writing it for a restore or failover are not calls yet (docs/replication.md).
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { LifeboatError } from '../../shared/errors';
import { LocalDeviceAgent, type DeviceAgent } from '../devices/agent';
import { realish } from './agent-paths';

/** The folder under an agent's root where device roots live. */
export const DEVICE_AREA = 'devices';

/** A trash entry's name: never `.` nor `..` (which would name the trash folder or its parent). */
const TrashId = z.string().regex(/^(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/);
const DeviceMarker = z.object({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
  name: z.string().min(1).max(100),
  type: z.enum(['file', 'iscsi']),
  createdAt: z.string().max(40),
});

/** Each operation's arguments after its path. */
const OPS = {
  inspectRoot: z.tuple([]),
  prepareRoot: z.tuple([DeviceMarker]),
  createShare: z.tuple([]),
  createVolume: z.tuple([
    z
      .number()
      .int()
      .positive()
      .max(2 ** 50),
  ]),
  setWritable: z.tuple([z.boolean()]),
  onlineModes: z.tuple([]),
  remove: z.tuple([]),
  trash: z.tuple([TrashId]),
  untrash: z.tuple([TrashId]),
  trashed: z.tuple([]),
  emptyTrash: z.tuple([TrashId]),
  usage: z.tuple([]),
  fileSize: z.tuple([]),
  freeBytes: z.tuple([]),
  space: z.tuple([]),
  exists: z.tuple([]),
} satisfies Record<keyof DeviceAgent, z.ZodType<unknown[]>>;

export type DeviceOp = keyof typeof OPS;

export const DeviceOpRequest = z.object({
  op: z.enum(Object.keys(OPS) as [DeviceOp, ...DeviceOp[]]),
  path: z
    .string()
    .min(1)
    .max(4096)
    .refine((p) => path.isAbsolute(p) && !p.includes('\0'), 'an absolute path on the agent host'),
  args: z.array(z.unknown()).max(2),
});
export type DeviceOpRequest = z.infer<typeof DeviceOpRequest>;

const local = new LocalDeviceAgent();

/** Runs one checked device operation under `<root>/devices/`. */
export async function runDeviceOp(root: string, req: DeviceOpRequest): Promise<unknown> {
  const parsed = OPS[req.op].safeParse(req.args);
  if (!parsed.success)
    throw new LifeboatError(
      'invalid_input',
      `device ${req.op}: bad arguments (${parsed.error.issues[0]?.message ?? 'invalid'}).`,
      'This is a bug in the sender: report it.',
    );
  const area = path.join(await realish(root), DEVICE_AREA);
  const target = await realish(req.path);
  const rel = path.relative(area, target);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel))
    throw new LifeboatError(
      'forbidden',
      `device ${req.op}: ${req.path} is not under ${path.join(root, DEVICE_AREA)} on the agent host.`,
      `Put the device's data root under ${path.join(root, DEVICE_AREA)}.`,
    );
  await fsp.mkdir(area, { recursive: true, mode: 0o700 });
  const run = local[req.op] as (p: string, ...a: unknown[]) => Promise<unknown>;
  return (await run.call(local, target, ...parsed.data)) ?? null;
}
