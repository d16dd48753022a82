/**
 * The checksum of one fixed-size disk block, shared by the engine's block maps and a site's checksums (resync): 16
 * bytes, and 16 zero bytes for a block of zeros, so that holes need no hashing and compare equal to zeros. Two
 * functions: SHA-256 (truncated), which every site and agent computes for a comparison (resync, reprotect), and BLAKE3
 * (truncated; @napi-rs/blake-hash, 3-5 times faster here), which the maps of an item's first copy and its delta cycles
 * use from then on (the disk's state says which; a map with no word of it is SHA-256). A resync makes a SHA-256 map.
 */
import crypto from 'node:crypto';
import { blake3 } from '@napi-rs/blake-hash';
import { isZero } from '../sites/block-records';

export const BLOCK_SIZE = 64 << 10;
export const HASH_BYTES = 16;
export const ZERO_HASH = Buffer.alloc(HASH_BYTES);

export type BlockAlgo = 'sha256' | 'blake3';

export function blockHash(block: Buffer, algo: BlockAlgo = 'sha256'): Buffer {
  if (isZero(block)) return ZERO_HASH;
  if (algo === 'blake3') return blake3(block).subarray(0, HASH_BYTES);
  return crypto.createHash('sha256').update(block).digest().subarray(0, HASH_BYTES);
}
