/**
 * A restore's resume point, kept small. The restore's distinct chunks have a fixed order (first placement, walking
 * the chosen sources and entries of the manifest), the same on every attempt with the same selection; the state is a
 * bitmap over that order (deflated, base64) plus a digest of the order. The job stores it as JSON on the main thread
 * every few seconds, so its size must not grow with chunk ids: one bit per chunk, usually far less once deflated.
 * A state whose digest, length or bitmap does not fit the restore is ignored (nothing done), never half-trusted.
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';

export interface RestoreState {
  snapshotId: string;
  /** First 16 hex of SHA-256 over the ordered chunk ids: a state for another selection or manifest is not used. */
  order: string;
  /** Distinct chunks of the restore (the bitmap's length in bits). */
  chunks: number;
  /** Chunks marked done (the bits set). */
  doneCount: number;
  /** Bit i (LSB first) set: the i-th chunk of the order is written. Deflate-raw, base64. */
  done: string;
}

/** The state written by versions before the bitmap: every done chunk id. Still read on resume, never written. */
export interface LegacyRestoreState {
  snapshotId: string;
  doneChunks: string[];
}

export type AnyRestoreState = RestoreState | LegacyRestoreState;

export function orderDigest(ids: readonly string[]): string {
  const h = crypto.createHash('sha256');
  // Blocks of ids per update: the same digest as one update per id, several times faster for a million chunks.
  for (let i = 0; i < ids.length; i += 4096) h.update(ids.slice(i, i + 4096).join(''));
  return h.digest('hex').slice(0, 16);
}

/** Done chunks of a restore, by their place in its order. */
export class DoneSet {
  readonly bits: Uint8Array;
  count = 0;
  private readonly index = new Map<string, number>();

  constructor(
    readonly ids: readonly string[],
    readonly digest = orderDigest(ids),
  ) {
    this.bits = new Uint8Array(Math.ceil(ids.length / 8));
    ids.forEach((id, i) => this.index.set(id, i));
  }

  add(id: string): void {
    const i = this.index.get(id);
    if (i === undefined || this.bits[i >> 3] & (1 << (i & 7))) return;
    this.bits[i >> 3] |= 1 << (i & 7);
    this.count++;
  }

  has(id: string): boolean {
    const i = this.index.get(id);
    return i !== undefined && (this.bits[i >> 3] & (1 << (i & 7))) !== 0;
  }

  state(snapshotId: string): RestoreState {
    return {
      snapshotId,
      order: this.digest,
      chunks: this.ids.length,
      doneCount: this.count,
      done: zlib.deflateRawSync(this.bits).toString('base64'),
    };
  }

  /**
   * The chunk ids a resume state calls done, or none when it does not fit this restore (other snapshot, selection,
   * manifest, or a damaged bitmap). Old states list ids; ids not in this restore are dropped.
   */
  claimed(state: AnyRestoreState | undefined, snapshotId: string): string[] {
    if (!state || state.snapshotId !== snapshotId) return [];
    if ('doneChunks' in state && Array.isArray(state.doneChunks))
      return state.doneChunks.filter((id) => this.index.has(id));
    const s = state as Partial<RestoreState>;
    if (s.order !== this.digest || s.chunks !== this.ids.length || typeof s.done !== 'string') return [];
    let bits: Buffer;
    try {
      bits = zlib.inflateRawSync(Buffer.from(s.done, 'base64'), { maxOutputLength: Math.max(1, this.bits.length) });
    } catch {
      return [];
    }
    if (bits.length !== this.bits.length) return [];
    const ids: string[] = [];
    for (let i = 0; i < this.ids.length; i++) if (bits[i >> 3] & (1 << (i & 7))) ids.push(this.ids[i]);
    return ids.length === s.doneCount ? ids : [];
  }
}
