// The bench's repository dataset, varied the way file servers are (issue 18): one share holding very compressible
// text, incompressible data and a half-empty sparse disk image (a sparse file *inside* the tree), plus a separate
// tree of many small files (256 B to 16 KiB, two thirds compressible). Each kind lives in its own folder so that the
// bench can time each kind alone as well as the share whole. Deterministic: the same sizes and names every run.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const MiB = 1 << 20;
const words =
  'storage array volume share backup restore failover replica snapshot cloud tier device service policy recovery point chunk pack index manifest'.split(
    ' ',
  );

/** Text from a small vocabulary with a linear congruential generator: compresses about 4:1, like logs and documents. */
export function textBytes(n, seed) {
  const parts = [];
  let have = 0;
  let x = seed >>> 0 || 1;
  let line = '';
  while (have < n) {
    x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    line += words[x % words.length] + (x % 13 === 0 ? '\n' : ' ');
    if (line.length >= 4096) {
      parts.push(line);
      have += line.length;
      line = '';
    }
  }
  parts.push(line);
  return Buffer.from(parts.join('')).subarray(0, n);
}

/** Log-uniform sizes between lo and hi, reproducible from the index. */
const logUniform = (i, lo, hi) => Math.round(lo * Math.pow(hi / lo, ((i * 7919) % 1000) / 1000));

function fillKind(dir, budget, kind) {
  let written = 0;
  let i = 0;
  while (written < budget) {
    const size = Math.min(budget - written, logUniform(i, 1024, 4 * MiB));
    const sub = path.join(dir, `dir-${i % 7}`, `sub-${i % 3}`);
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(
      path.join(sub, `file-${i}.${kind === 'text' ? 'txt' : 'bin'}`),
      kind === 'text' ? textBytes(size, i + 1) : crypto.randomBytes(size),
    );
    written += size;
    i++;
  }
  return { files: i, bytes: written };
}

/** A sparse disk image of `size` bytes whose first half holds data in 1 MiB extents every 2 MiB: half of it is holes. */
function sparseImage(file, size, dataBudget) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  fs.ftruncateSync(fd, size);
  let put = 0;
  for (let off = 0; off < size && put < dataBudget; off += 2 * MiB, put += MiB)
    fs.writeSync(fd, crypto.randomBytes(MiB), 0, MiB, off);
  fs.closeSync(fd);
  return put;
}

/** Many small files, 256 B to 16 KiB, in folders of 500; two thirds are text. */
export function makeSmallFiles(dir, count) {
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const sub = path.join(dir, `d${Math.floor(i / 500)}`);
    if (i % 500 === 0) fs.mkdirSync(sub, { recursive: true });
    const size = logUniform(i, 256, 16 * 1024);
    fs.writeFileSync(path.join(sub, `f${i}`), i % 3 === 2 ? crypto.randomBytes(size) : textBytes(size, i + 1_000_003));
    bytes += size;
  }
  return { files: count, bytes };
}

/**
 * `dir/share/{text,random,images/disk.img}` and `dir/small`: the share is `sizeMiB` of data (45% text, 35% random,
 * 20% in the image, which is twice that size with the rest holes); `smallCount` small files beside it. Returns each
 * kind's folder, file count and data bytes (holes not counted).
 */
export function makeRepoDataset(dir, sizeMiB, smallCount) {
  const share = path.join(dir, 'share');
  const total = sizeMiB * MiB;
  const text = fillKind(path.join(share, 'text'), Math.floor(total * 0.45), 'text');
  const random = fillKind(path.join(share, 'random'), Math.floor(total * 0.35), 'random');
  const imageData = Math.max(MiB, Math.floor((total * 0.2) / MiB) * MiB);
  const imageFile = path.join(share, 'images', 'disk.img');
  const sparseBytes = sparseImage(imageFile, imageData * 2, imageData);
  const small = makeSmallFiles(path.join(dir, 'small'), smallCount);
  return {
    share,
    small: path.join(dir, 'small'),
    kinds: {
      text: { path: path.join(share, 'text'), ...text },
      random: { path: path.join(share, 'random'), ...random },
      sparse: { path: path.join(share, 'images'), files: 1, bytes: sparseBytes, size: imageData * 2 },
      small: { path: path.join(dir, 'small'), ...small },
    },
    files: text.files + random.files + 1,
    bytes: text.bytes + random.bytes + sparseBytes,
  };
}
