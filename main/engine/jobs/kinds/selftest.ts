/**
 * The self-test job: writes a deterministic data file and hashes it piece by piece in worker threads, checkpointing
 * after every piece. It exercises the whole job machinery (steps, progress, cancel, pause, crash recovery) on real I/O.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { LifeboatError } from '../../../shared/errors';
import { privateDir } from '../../private-files';
import type { JobKind, StepContext } from '../types';

const PIECE = 4 << 20;

const Params = z.object({ sizeMiB: z.number().int().min(1), seconds: z.number().min(0), seed: z.number().int() });
type Params = z.infer<typeof Params>;
interface State {
  written?: number;
  hashed?: number;
  pieceHashes?: string[];
  digest?: string;
}

const fileOf = (ctx: StepContext<Params, State>) => path.join(ctx.dataDir, 'tmp', `selftest-${ctx.jobId}.bin`);
const pieces = (p: Params) => Math.ceil((p.sizeMiB << 20) / PIECE);
const pieceLength = (p: Params, i: number) => Math.min(PIECE, (p.sizeMiB << 20) - i * PIECE);
/** Spreads the requested duration over the pieces of the hash step. */
const pace = (p: Params) => (p.seconds * 1000) / pieces(p);

export const selftestJob: JobKind<Params, State> = {
  type: 'selftest',
  params: Params,
  title: (p) => `Self-test (${p.sizeMiB} MiB)`,
  object: () => ({ kind: 'service', name: 'self-test' }),
  steps: [
    {
      name: 'write',
      title: 'Write test data',
      run: async (ctx) => {
        const p = ctx.params;
        privateDir(path.dirname(fileOf(ctx)));
        const total = p.sizeMiB << 20;
        for (let i = Math.floor((ctx.state.written ?? 0) / PIECE); i < pieces(p); i++) {
          await ctx.workers.run(
            { op: 'write-pattern', path: fileOf(ctx), offset: i * PIECE, length: pieceLength(p, i), seed: p.seed },
            ctx.signal,
          );
          const written = i * PIECE + pieceLength(p, i);
          ctx.progress({
            fraction: written / total,
            bytesDone: written,
            bytesTotal: total,
            message: `Wrote ${written >> 20} of ${p.sizeMiB} MiB`,
          });
          ctx.checkpoint({ written });
        }
      },
    },
    {
      name: 'hash',
      title: 'Hash test data in worker threads',
      weight: 3,
      run: async (ctx) => {
        const p = ctx.params;
        const total = p.sizeMiB << 20;
        const hashes = ctx.state.pieceHashes ?? [];
        for (let i = hashes.length; i < pieces(p); i++) {
          const started = Date.now();
          const { sha256, bytes } = await ctx.workers.run(
            { op: 'hash-range', path: fileOf(ctx), offset: i * PIECE, length: pieceLength(p, i) },
            ctx.signal,
          );
          if (bytes !== pieceLength(p, i))
            throw new LifeboatError(
              'io_error',
              `The test file is shorter than written (piece ${i}).`,
              'Check the disk of the data directory.',
            );
          hashes.push(sha256);
          const hashed = i * PIECE + bytes;
          const wait = pace(p) - (Date.now() - started);
          if (wait > 0) await sleep(wait, undefined, { signal: ctx.signal }).catch(() => undefined);
          ctx.progress({
            fraction: hashed / total,
            bytesDone: hashed,
            bytesTotal: total,
            message: `Hashed ${hashed >> 20} of ${p.sizeMiB} MiB`,
          });
          ctx.checkpoint({ pieceHashes: hashes, hashed });
        }
      },
    },
    {
      name: 'verify',
      title: 'Verify and clean up',
      run: async (ctx) => {
        const p = ctx.params;
        const last = pieces(p) - 1;
        const { sha256 } = await ctx.workers.run(
          { op: 'hash-range', path: fileOf(ctx), offset: last * PIECE, length: pieceLength(p, last) },
          ctx.signal,
        );
        if (sha256 !== ctx.state.pieceHashes?.[last])
          throw new LifeboatError(
            'io_error',
            'The test data read back differs from what was hashed: the disk returned different bytes.',
            'Check the disk of the data directory.',
          );
        const digest = crypto
          .createHash('sha256')
          .update((ctx.state.pieceHashes ?? []).join(''))
          .digest('hex');
        await fs.promises.rm(fileOf(ctx), { force: true }); // unlinking a large file can take tens of ms: not on the main thread
        ctx.progress({ fraction: 1, message: `Verified ${p.sizeMiB} MiB, digest ${digest.slice(0, 16)}` });
        ctx.checkpoint({ digest });
      },
    },
  ],
  cleanup: async (ctx) => {
    await fs.promises.rm(fileOf(ctx), { force: true });
  },
};

export function selftestParams(input: { sizeMiB: number; seconds: number }): Params {
  return { ...input, seed: crypto.randomInt(1, 2 ** 31) };
}
