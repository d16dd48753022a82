/**
 * The source side of a cycle whose item runs at an agent site (replication/source-side.ts): its failed-over copy is
 * read at the agent's host, through the agent's read calls (sites/agent-source-calls.ts), so that a reprotect from
 * the agent site, the reverse cycles after it and a failback's final cycle send only what differs, as from a local
 * site. A run of blocks costs two round trips: the agent hashes the run's data blocks (holes are never read) and
 * sends their checksums; only the blocks whose checksum differs from the baseline are then read and sent. Their
 * data is read after their checksums, so a block written in between is newer than its checksum in the map: the next
 * cycle sends it again, never the other way round; the stage's second stat discards the attempt anyway.
 */
import { Readable } from 'node:stream';
import { LifeboatError } from '../../shared/errors';
import type { SourceCallName } from '../sites/agent-source-calls';
import { isSiteUnreachable } from '../sites/remote-agent';
import type { DataExtent } from '../repo/sparse';
import { BLOCK_SIZE, HASH_BYTES, ZERO_HASH } from './block-hash';
import type { HashBlocksResult } from './disk-scan';
import type { FolderIndex, IndexEntry } from './folder-scan';
import type { HashRun, SourceSide, SourceStat } from './source-side';
import type { SourceRow } from './store';

/** The agent's read calls (sites/remote-agent.ts `readAt`). */
export interface AgentReads {
  readAt<T>(name: SourceCallName, args: unknown[], onData?: (chunk: Buffer) => void): Promise<T>;
}

/** Bytes of a file asked for in one read call. */
const FILE_CHUNK = 8 << 20;

/** Consecutive block indexes as byte ranges of at most 4 MiB (a run is at most 64 blocks). */
function rangesOf(blocks: number[], size: number): { offset: number; length: number }[] {
  const out: { offset: number; length: number }[] = [];
  for (const b of blocks) {
    const offset = b * BLOCK_SIZE;
    const length = Math.min(BLOCK_SIZE, size - offset);
    const last = out.at(-1);
    if (last && last.offset + last.length === offset) last.length += length;
    else out.push({ offset, length });
  }
  return out;
}

/** The site an item runs at cannot be reached, so its disks and folders cannot be read (retried like any unreachable site). */
export class SourceUnreachable extends LifeboatError {
  constructor(site: string, err: LifeboatError) {
    super('unavailable', `The source site ${site} is unreachable: ${err.message}`, err.hint, {
      retryable: true,
      cause: err,
    });
  }
}

/** The agent's reads, an unreachable agent named as the source site (a failback's result says why its pending data was lost). */
function asSource(agent: AgentReads, site: string): AgentReads {
  return {
    readAt: <T>(name: SourceCallName, args: unknown[], onData?: (chunk: Buffer) => void) =>
      agent.readAt<T>(name, args, onData).catch((err: unknown) => {
        throw isSiteUnreachable(err) ? new SourceUnreachable(site, err as LifeboatError) : err;
      }),
  };
}

export class AgentSource implements SourceSide {
  private readonly agent: AgentReads;

  constructor(
    agent: AgentReads,
    /** Where each disk and folder is on the agent's host (its failed-over copy). */
    private readonly pathOf: (s: SourceRow) => string,
    /** The site's name, for messages. */
    private readonly site: string,
  ) {
    this.agent = asSource(agent, site);
  }

  where(s: SourceRow): string {
    return `${this.pathOf(s)} (at ${this.site})`;
  }

  stat(s: SourceRow): Promise<SourceStat | null> {
    return this.agent.readAt('sourceStat', [this.pathOf(s)]);
  }

  extents(s: SourceRow): Promise<DataExtent[]> {
    return this.agent.readAt('sourceExtents', [this.pathOf(s)]);
  }

  async hashBlocks(s: SourceRow, run: HashRun, signal: AbortSignal): Promise<HashBlocksResult> {
    signal.throwIfAborted();
    const file = this.pathOf(s);
    const parts: Buffer[] = [];
    const summed = await this.agent.readAt<{ bytesRead: number }>('sourceSums', [file, run.first, run.count], (c) =>
      parts.push(c),
    );
    const hashes = Buffer.concat(parts);
    if (hashes.length !== run.count * HASH_BYTES) {
      const why = `The site ${this.site} sent ${hashes.length} bytes of checksums for ${run.count} blocks of ${file}.`;
      throw new LifeboatError('io_error', why, 'The next cycle reads it again.', { retryable: true });
    }
    const result: HashBlocksResult = { hashes, changed: [], bytesRead: summed.bytesRead };
    if (run.hashOnly) return result;
    const old = Buffer.from(run.old.buffer, run.old.byteOffset, run.old.byteLength);
    const at = (buf: Buffer, i: number) => buf.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
    const differ = [...Array(run.count).keys()].filter((i) => !at(hashes, i).equals(at(old, i)));
    const data = differ.filter((i) => !at(hashes, i).equals(ZERO_HASH)).map((i) => run.first + i);
    const blocks = new Map<number, Buffer>();
    if (data.length) {
      signal.throwIfAborted();
      const ranges = rangesOf(data, run.size);
      const got: Buffer[] = [];
      const { lengths } = await this.agent.readAt<{ lengths: number[] }>('sourceRead', [file, ranges], (c) =>
        got.push(c),
      );
      const all = Buffer.concat(got);
      let pos = 0;
      for (const [k, r] of ranges.entries()) {
        // Short when the disk shrank meanwhile: zeros stand in, and the stage's second stat discards this attempt.
        const bytes = Buffer.alloc(r.length);
        all.copy(bytes, 0, pos, pos + lengths[k]);
        pos += lengths[k];
        for (let off = 0; off < r.length; off += BLOCK_SIZE)
          blocks.set((r.offset + off) / BLOCK_SIZE, bytes.subarray(off, off + BLOCK_SIZE));
      }
      result.bytesRead += pos;
    }
    result.changed = differ.map((i) => ({ index: run.first + i, data: blocks.get(run.first + i) ?? null }));
    return result;
  }

  async walk(s: SourceRow): Promise<{ index: FolderIndex; skipped: number }> {
    const found = await this.agent.readAt<{ index: FolderIndex; skipped: number } | null>('sourceIndex', [
      this.pathOf(s),
    ]);
    if (!found) throw Object.assign(new Error(`${this.where(s)} is not a folder`), { code: 'ENOENT' });
    return found;
  }

  /** A folder's file, read in ranges of 8 MiB as it is sent. */
  open(s: SourceRow, rel: string): Readable {
    const file = this.file(s, rel);
    const agent = this.agent;
    return Readable.from(
      (async function* () {
        for (let offset = 0; ;) {
          const got: Buffer[] = [];
          const { lengths } = await agent.readAt<{ lengths: number[] }>(
            'sourceRead',
            [file, [{ offset, length: FILE_CHUNK }]],
            (c) => got.push(c),
          );
          if (lengths[0] > 0) yield Buffer.concat(got);
          if (lengths[0] < FILE_CHUNK) return;
          offset += lengths[0];
        }
      })(),
    );
  }

  async unchangedSince(s: SourceRow, rel: string, e: IndexEntry): Promise<boolean> {
    const st = await this.agent.readAt<SourceStat | null>('sourceStat', [this.file(s, rel)]);
    return !!st && st.file && st.size === e.size && st.mtimeNs === e.m;
  }

  /** Paths on the agent's host are POSIX paths. */
  private file(s: SourceRow, rel: string): string {
    return [this.pathOf(s), ...rel.split('/')].join('/');
  }
}
