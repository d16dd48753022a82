/**
 * A restore's reads from the account: blobs of one pack that lie close together are fetched with one ranged read
 * (coalesce), and the reads run a few ahead of the decoder into a few reused buffers (Prefetcher).
 */
import type { Repository } from './repository';

/** Blobs of a pack at most this far apart share a read (fetching the gap costs less than another request). */
const MERGE_GAP = 1 << 20;

export type Fetched = { buf: Buffer } | { err: unknown };

/**
 * Ranged reads in order, `depth` of them in flight ahead of the decoder (what hides an object store's latency). Reads
 * go into a few buffers of `bufferSize` (depth + 1 at most) that the decoder gives back (release), so a restore makes
 * its read buffers once: a new one per read lived long enough to reach V8's old generation, whose collections then
 * ran every few tens of MiB, with helper threads marking on both cores.
 */
export class Prefetcher {
  private issued = 0;
  private readonly queue: Array<Promise<Fetched>> = [];
  private readonly spare: Buffer[] = [];
  private readonly owned = new WeakSet<ArrayBufferLike>();

  constructor(
    private readonly repo: Repository,
    private readonly reads: Read[],
    private readonly depth: number,
    private readonly bufferSize: number,
    private readonly signal?: AbortSignal,
  ) {}

  next(): Promise<Fetched> {
    this.fill();
    const got = this.queue.shift();
    this.fill();
    if (!got) throw new Error('Restore read past its last read.');
    return got;
  }

  /** Gives a fetched buffer back once its blobs are decoded. */
  release(buf: Buffer): void {
    if (this.owned.has(buf.buffer)) this.spare.push(Buffer.from(buf.buffer, 0, this.bufferSize));
  }

  private buffer(): Buffer {
    const spare = this.spare.pop();
    if (spare) return spare;
    const fresh = Buffer.allocUnsafeSlow(this.bufferSize);
    this.owned.add(fresh.buffer);
    return fresh;
  }

  private fill(): void {
    while (this.queue.length < Math.max(1, this.depth) && this.issued < this.reads.length) {
      const r = this.reads[this.issued++];
      const into = r.length <= this.bufferSize ? this.buffer() : undefined;
      this.queue.push(
        this.repo.backend.get(r.pack, { offset: r.offset, length: r.length, into }, this.signal).then(
          (buf) => ({ buf }),
          (err: unknown) => ({ err }),
        ),
      );
    }
  }

  /** Stops issuing reads and waits for those in flight (they never reject). */
  async settle(): Promise<void> {
    this.issued = this.reads.length;
    await Promise.all(this.queue.splice(0));
  }
}

export interface Read {
  pack: string;
  offset: number;
  length: number;
  members: Array<{ c: string; loc: ReturnType<Repository['locate']> }>;
}

/** Blobs of one pack that lie close together are fetched with one ranged read. */
export function coalesce(
  batch: Array<{ c: string; loc: ReturnType<Repository['locate']> }>,
  maxLength: number,
): Read[] {
  const byPack = new Map<string, typeof batch>();
  for (const b of batch) (byPack.get(b.loc.pack) ?? byPack.set(b.loc.pack, []).get(b.loc.pack)!).push(b);
  const reads: Read[] = [];
  for (const [pack, members] of byPack) {
    members.sort((a, b) => a.loc.offset - b.loc.offset);
    let cur: Read | undefined;
    for (const m of members) {
      const end = m.loc.offset + m.loc.length;
      if (cur && m.loc.offset <= cur.offset + cur.length + MERGE_GAP && end - cur.offset <= maxLength) {
        cur.length = Math.max(cur.length, end - cur.offset);
        cur.members.push(m);
      } else reads.push((cur = { pack, offset: m.loc.offset, length: m.loc.length, members: [m] }));
    }
  }
  return reads;
}
