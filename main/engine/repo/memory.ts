/**
 * Keeping a backup's memory flat. Every blob leaves a dead buffer behind (Node's cipher API returns a fresh one per
 * call), but few JS objects, so V8 collects only when external memory has grown by its limit (~64 MB per thread):
 * that garbage alone would exceed everything the backup really holds. A minor collection every 2 MiB of blobs
 * costs well under a millisecond (the young space is small and nearly all dead) and frees those buffers at once;
 * the allocator keeps its high-water mark resident, so the garbage allowed between collections adds to peak RSS.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

const STEP = 2 << 20;
let gc: ((opts: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void) | null | undefined;
let since = 0;

/** Counts bytes of short-lived buffers; collects the young generation every STEP bytes. */
export function noteGarbage(bytes: number): void {
  since += bytes;
  if (since < STEP) return;
  since = 0;
  if (gc === undefined) {
    try {
      // The flag only exposes gc() to contexts created after it is set; this one context is all we use it from.
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as typeof gc;
    } catch {
      gc = null;
    }
  }
  gc?.({ type: 'minor' });
}
