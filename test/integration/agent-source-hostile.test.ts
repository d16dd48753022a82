/**
 * Hostile and odd inputs to a site agent's read calls (sites/agent-source-calls.ts), at a real `lifeboat agent serve`
 * process: a FIFO or a folder where a file is read is refused at once (a FIFO used to hold the call and a thread of the
 * agent until something wrote to it), `..` out of the root and a link out are forbidden, negative, fractional, NaN
 * (null in JSON) and huge numbers are invalid; the agent still answers afterwards.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runHashBlocks } from '../../main/engine/replication/disk-scan';
import { openConfined } from '../../main/engine/sites/agent-source-calls';
import { tempHome } from '../helpers/home';
import { BLOCK, makeDisk } from '../helpers/replication-lab';
import { failure, usePairedAgent } from '../helpers/paired-agent';

const pairedAgent = usePairedAgent();

describe('a site agent given hostile input', () => {
  it('refuses FIFOs, folders, escapes and bad numbers, and keeps answering', async () => {
    const { root, site } = await pairedAgent();
    const copy = path.join(root, '_active', 'vm');
    fs.mkdirSync(path.join(copy, 'disks'), { recursive: true });
    fs.mkdirSync(path.join(copy, 'folders', 'data'), { recursive: true });
    const disk = makeDisk(path.join(copy, 'disks', 'vm.img'), 8 * BLOCK, [1]);
    const fifo = path.join(copy, 'folders', 'data', 'pipe');
    execFileSync('mkfifo', [fifo]);

    for (const name of ['sourceRead', 'sourceSums', 'sourceExtents'] as const) {
      const args =
        name === 'sourceRead' ? [fifo, [{ offset: 0, length: 10 }]] : name === 'sourceSums' ? [fifo, 0, 1] : [fifo];
      const message = `${name}: ${fifo} is not a regular file (a FIFO, socket or device).`;
      expect(await failure(site.readAt(name, args))).toMatchObject({ code: 'invalid_input', message });
    }
    const folder = path.join(copy, 'folders', 'data');
    expect(await failure(site.readAt('sourceRead', [folder, [{ offset: 0, length: 10 }]]))).toMatchObject({
      code: 'invalid_input',
    });
    expect(await failure(site.readAt('sourceStat', [`${copy}/../../../elsewhere`]))).toMatchObject({
      code: 'forbidden',
    });
    fs.symlinkSync('/etc/hostname', path.join(copy, 'folders', 'data', 'host'));
    expect(
      await failure(site.readAt('sourceRead', [path.join(folder, 'host'), [{ offset: 0, length: 10 }]])),
    ).toMatchObject({ code: 'forbidden' });
    for (const [first, count] of [
      [-1, 1],
      [0.5, 1],
      [null, 1],
      [0, null],
      [2 ** 60, 1],
      [0, 0],
    ])
      expect(await failure(site.readAt('sourceSums', [disk, first, count]))).toMatchObject({ code: 'invalid_input' });
    for (const range of [
      { offset: null, length: 1 },
      { offset: 2 ** 60, length: 1 },
      { offset: 0, length: -5 },
    ])
      expect(await failure(site.readAt('sourceRead', [disk, [range]]))).toMatchObject({ code: 'invalid_input' });
    expect(
      await failure(site.readAt('sourceRead', [disk, Array(5).fill({ offset: 0, length: 16 << 20 })])),
    ).toMatchObject({ code: 'invalid_input' });

    // Still answering, and a missing disk is ENOENT as at a local site.
    expect(await site.readAt('sourceStat', [disk])).toMatchObject({ file: true, size: 8 * BLOCK });
    expect(
      await failure(site.readAt('sourceRead', [path.join(copy, 'disks', 'gone.img'), [{ offset: 0, length: 1 }]])),
    ).toMatchObject({ code: 'ENOENT' });
  }, 300_000);

  it('refuses, at the open itself, a link or a FIFO swapped in after the path was checked', async () => {
    // As if the path had passed the check and then been replaced: the open follows no link and waits on no FIFO.
    const root = fs.realpathSync(tempHome('lifeboat-agent-root-'));
    const stateDir = fs.realpathSync(tempHome('lifeboat-agent-state-'));
    const ctx = { root, stateDir, send: async () => undefined };
    const outside = path.join(fs.realpathSync(tempHome('lifeboat-outside-')), 'secret.img');
    fs.writeFileSync(outside, 'secret');
    const copy = path.join(root, '_active', 'vm', 'disks');
    fs.mkdirSync(copy, { recursive: true });
    const link = path.join(copy, 'vm.img');
    fs.symlinkSync(outside, link);
    const fifo = path.join(copy, 'pipe.img');
    execFileSync('mkfifo', [fifo]);
    const stateKey = path.join(stateDir, 'key');
    fs.writeFileSync(stateKey, 'key');

    for (const file of [true, false]) {
      expect(await failure(openConfined(ctx, 'sourceRead', link, file))).toMatchObject({ code: 'forbidden' });
      expect(await failure(openConfined(ctx, 'sourceRead', stateKey, file))).toMatchObject({ code: 'forbidden' });
    }
    expect(await failure(openConfined(ctx, 'sourceRead', fifo, true))).toMatchObject({ code: 'invalid_input' });

    // The hashing worker's own open, given a path the agent checked, checks again.
    const task = { op: 'replica-hash' as const, size: 6, first: 0, count: 1, old: new Uint8Array(32), hashOnly: true };
    for (const p of [link, fifo, stateKey])
      expect(() => runHashBlocks({ ...task, path: p, confinedTo: { root, stateDir } })).toThrow();
    fs.writeFileSync(path.join(copy, 'ok.img'), 'inside');
    expect(
      runHashBlocks({ ...task, path: path.join(copy, 'ok.img'), confinedTo: { root, stateDir } }).bytesRead,
    ).toBeGreaterThan(0);
  });
});
