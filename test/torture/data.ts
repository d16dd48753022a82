/**
 * The torture run's data, made on the fly from a seed: nested folders of compressible text and random files (1 KiB to
 * 2 MiB), and a sparse volume image with data regions between holes. The same seed gives the same bytes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const MiB = 1 << 20;

/** A small seeded PRNG (mulberry32): uniform floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Incompressible bytes from the seed: an AES-CTR keystream (fast, and no chunk repeats). */
function randomBytes(rand: () => number, n: number): Buffer {
  const key = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) key[i] = Math.floor(rand() * 256);
  return crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

const WORDS =
  'lifeboat share volume backup restore failover device account chunk pack index snapshot heat quota epoch'.split(' ');

/** Text that compresses well but is not one repeated block: lines of words with numbers. */
function textBytes(rand: () => number, n: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  while (size < n) {
    const line = `${Math.floor(rand() * 1e6)} ${Array.from({ length: 8 }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ')}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, n);
}

/** Writes about `bytes` of mixed files under dir (created); returns how many files. */
export function makeTree(dir: string, bytes: number, seed: number): number {
  const rand = prng(seed);
  let written = 0;
  let files = 0;
  while (written < bytes) {
    const depth = Math.floor(rand() * 3);
    const folder = path.join(dir, ...Array.from({ length: depth }, () => `d${Math.floor(rand() * 4)}`));
    fs.mkdirSync(folder, { recursive: true });
    // Sizes spread over three orders of magnitude: many small files, a few large ones.
    const size = Math.min(bytes - written, Math.max(1, Math.round(1024 * Math.pow(2048, rand()))));
    const data = rand() < 0.5 ? textBytes(rand, size) : randomBytes(rand, size);
    fs.writeFileSync(path.join(folder, `f${files}.${data[0] % 2 ? 'bin' : 'txt'}`), data);
    written += size;
    files++;
  }
  return files;
}

/** A sparse image of `size` bytes: a quarter of it data, in 1 MiB-aligned regions, the rest holes. */
export function makeImage(file: string, size: number, seed: number): void {
  const rand = prng(seed);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  try {
    fs.ftruncateSync(fd, size);
    const regions = Math.max(1, Math.floor(size / MiB / 4));
    for (let i = 0; i < regions; i++) {
      const at = Math.floor(rand() * Math.floor(size / MiB)) * MiB;
      const data =
        rand() < 0.5 ? textBytes(rand, Math.min(MiB, size - at)) : randomBytes(rand, Math.min(MiB, size - at));
      fs.writeSync(fd, data, 0, data.length, at);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Rewrites or removes about half the files of a tree (so a later backup leaves packs partly unused). */
export function churn(dir: string, seed: number): void {
  const rand = prng(seed);
  const files = (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
  for (const f of files) {
    const r = rand();
    if (r < 0.25) fs.rmSync(path.join(dir, f));
    else if (r < 0.5) fs.writeFileSync(path.join(dir, f), randomBytes(rand, fs.statSync(path.join(dir, f)).size));
  }
}

/** Content hashes of a file or every file under a folder (and the mode of each), to compare a copy with its source. */
export function contents(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const hash = (f: string) =>
    `${(fs.statSync(f).mode & 0o7777).toString(8)} ${crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex')}`;
  if (fs.statSync(root).isFile()) return { '.': hash(root) };
  for (const f of (fs.readdirSync(root, { recursive: true }) as string[]).sort()) {
    const full = path.join(root, f);
    const st = fs.lstatSync(full);
    out[f] = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? `link ${fs.readlinkSync(full)}` : hash(full);
  }
  return out;
}
