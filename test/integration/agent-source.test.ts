/**
 * The read calls of a site agent for replicating back from its site (sites/agent-source-calls.ts): a real
 * `lifeboat agent serve` process, paired with `site add --agent`. A sparse disk's block checksums in a range equal the
 * engine's own (holes not read), block and file ranges come back byte for byte, a folder's index lists its files. The
 * agent refuses a path outside its root, its root itself, its state folder, a link leading out, a bad range, a range
 * too long and a call it does not have.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockHash, HASH_BYTES, ZERO_HASH } from '../../main/engine/replication/block-hash';
import { BLOCK, makeDisk } from '../helpers/replication-lab';
import { failure, usePairedAgent } from '../helpers/paired-agent';

const pairedAgent = usePairedAgent();

describe('reading a copy at a site agent', () => {
  it('sends checksums, ranges and indexes of files under its root, and refuses anything else', async () => {
    const { root, site } = await pairedAgent();

    const copy = path.join(root, '_active', 'vm');
    fs.mkdirSync(path.join(copy, 'disks'), { recursive: true });
    fs.mkdirSync(path.join(copy, 'folders', 'data', 'sub'), { recursive: true });
    const disk = makeDisk(path.join(copy, 'disks', 'vm.img'), 32 * BLOCK, [1, 2, 9]);
    fs.writeFileSync(path.join(copy, 'folders', 'data', 'sub', 'a.txt'), 'hello');
    const bytes = fs.readFileSync(disk);

    const parts: Buffer[] = [];
    const summed = await site.readAt<{ bytesRead: number; size: number }>('sourceSums', [disk, 0, 16], (c) =>
      parts.push(c),
    );
    const sums = Buffer.concat(parts);
    expect(summed).toEqual({ bytesRead: 3 * BLOCK, size: 32 * BLOCK }); // only the data blocks were read
    for (let b = 0; b < 16; b++)
      expect(sums.subarray(b * HASH_BYTES, (b + 1) * HASH_BYTES)).toEqual(
        blockHash(bytes.subarray(b * BLOCK, (b + 1) * BLOCK)),
      );
    expect(sums.subarray(0, HASH_BYTES)).toEqual(ZERO_HASH);

    const got: Buffer[] = [];
    const ranges = [
      { offset: 2 * BLOCK, length: BLOCK },
      { offset: 31 * BLOCK, length: 2 * BLOCK }, // past the end: short
    ];
    const read = await site.readAt<{ lengths: number[] }>('sourceRead', [disk, ranges], (c) => got.push(c));
    expect(read.lengths).toEqual([BLOCK, BLOCK]);
    expect(Buffer.concat(got)).toEqual(
      Buffer.concat([bytes.subarray(2 * BLOCK, 3 * BLOCK), bytes.subarray(31 * BLOCK)]),
    );
    expect(await site.readAt('sourceExtents', [disk])).toEqual([
      { offset: BLOCK, length: 2 * BLOCK },
      { offset: 9 * BLOCK, length: BLOCK },
    ]);
    expect(await site.readAt('sourceStat', [disk])).toMatchObject({ file: true, dir: false, size: 32 * BLOCK });
    expect(await site.readAt('sourceStat', [path.join(copy, 'disks', 'gone.img')])).toBeNull();
    type Index = { index: Record<string, { t: string; size: number }>; skipped: number };
    const index = await site.readAt<Index>('sourceIndex', [path.join(copy, 'folders', 'data')]);
    expect(index.index).toMatchObject({ sub: { t: 'd' }, 'sub/a.txt': { t: 'f', size: 5 } });

    // Refusals, checked at the agent.
    const outside = path.join(path.dirname(root), 'elsewhere.img');
    fs.writeFileSync(outside, 'secret');
    expect(await failure(site.readAt('sourceRead', [outside, [{ offset: 0, length: 6 }]]))).toMatchObject({
      code: 'forbidden',
    });
    expect(await failure(site.readAt('sourceStat', [path.join(root, '..', 'elsewhere.img')]))).toMatchObject({
      code: 'forbidden',
    });
    expect(await failure(site.readAt('sourceIndex', [root]))).toMatchObject({ code: 'forbidden' });
    expect(await failure(site.readAt('sourceIndex', [path.join(root, '.lifeboat-agent')]))).toMatchObject({
      code: 'forbidden',
    });
    const key = fs.readdirSync(path.join(root, '.lifeboat-agent'))[0];
    const keyFile = path.join(root, '.lifeboat-agent', key);
    expect(await failure(site.readAt('sourceRead', [keyFile, [{ offset: 0, length: 10 }]]))).toMatchObject({
      code: 'forbidden',
    });
    fs.symlinkSync(path.dirname(root), path.join(copy, 'out'));
    const throughLink = path.join(copy, 'out', 'elsewhere.img');
    expect(await failure(site.readAt('sourceRead', [throughLink, [{ offset: 0, length: 6 }]]))).toMatchObject({
      code: 'forbidden',
    });
    expect(await failure(site.readAt('sourceRead', [disk, [{ offset: -1, length: 10 }]]))).toMatchObject({
      code: 'invalid_input',
    });
    expect(await failure(site.readAt('sourceRead', [disk, [{ offset: 0, length: 32 << 20 }]]))).toMatchObject({
      code: 'invalid_input',
    });
    expect(await failure(site.readAt('sourceSums', [disk, 0, 100_000]))).toMatchObject({ code: 'invalid_input' });
    expect(await failure(site.readAt('sourceSums', ['relative/vm.img', 0, 1]))).toMatchObject({
      code: 'invalid_input',
    });
    expect(await failure(site.readAt('sourceNoSuch' as never, [disk]))).toMatchObject({ code: 'not_found' });
  }, 300_000);
});
