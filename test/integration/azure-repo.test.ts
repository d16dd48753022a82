/** The repository over Azure: init, backup and restore of a small tree through AzureBackend on real Azurite. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupSources, type BackupSource } from '../../main/engine/repo/backup';
import { Repository } from '../../main/engine/repo/repository';
import { restoreSnapshot } from '../../main/engine/repo/restore';
import { listSnapshots } from '../../main/engine/repo/snapshot';
import { AzureBackend } from '../../main/engine/storage/azure';
import { collectList } from '../../main/engine/storage/backend';
import { startAzurite, type Azurite } from '../helpers/azurite';
import { describeTree } from '../helpers/tree';

let az: Azurite;
let tmp: string;
const sdek = crypto.randomBytes(32);

beforeAll(async () => {
  az = await startAzurite();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-azrepo-'));
});
afterAll(async () => {
  await az?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('repository over Azure', () => {
  it('init, backup and restore a small tree byte for byte; a second backup adds little', async () => {
    const share = path.join(tmp, 'share');
    const put = (rel: string, data: Buffer | string) => (
      fs.mkdirSync(path.dirname(path.join(share, rel)), { recursive: true }),
      fs.writeFileSync(path.join(share, rel), data)
    );
    put('docs/readme.txt', 'hello lifeboat\n'.repeat(2000));
    put('docs/big.bin', crypto.randomBytes(20 << 20)); // fills a 16 MiB pack: a staged upload
    put('Ünïcødé/ñame.txt', 'unicode');
    put('empty-file', '');
    fs.mkdirSync(path.join(share, 'empty/dir'), { recursive: true });
    fs.symlinkSync('docs/readme.txt', path.join(share, 'link'));

    const backend = await AzureBackend.open({ connectionString: az.connectionString, container: 'repo', create: true });
    const repo = await Repository.init(backend, sdek);
    const sources: BackupSource[] = [{ name: 'share', path: share, kind: 'tree' }];
    const first = (await backupSources(repo, sources, { label: 'azure' })).snapshot;
    expect(first.stats.bytesNew).toBeGreaterThan(20 << 20);
    // Packs are data/xx/<hash>; the 16 MiB one is whole under its final name.
    const packs = await collectList(backend, 'data/');
    expect(packs.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...packs.map((p) => p.size))).toBeGreaterThan(8 << 20);

    const reopened = await Repository.open(
      await AzureBackend.open({ connectionString: az.connectionString, container: 'repo' }),
      sdek,
    );
    expect((await listSnapshots(reopened)).snapshots.map((s) => s.id)).toEqual([first.id]);
    const out = path.join(tmp, 'restore');
    const result = await restoreSnapshot(reopened, first.id, out);
    expect(result.damaged).toEqual([]);
    expect(describeTree(path.join(out, 'share'))).toEqual(describeTree(share));

    fs.appendFileSync(path.join(share, 'docs/readme.txt'), 'one more line\n');
    const second = (await backupSources(reopened, sources, { previous: first.id })).snapshot;
    expect(second.stats.bytesNew).toBeLessThan(100_000);
    const out2 = path.join(tmp, 'restore2');
    await restoreSnapshot(reopened, second.id, out2);
    expect(describeTree(path.join(out2, 'share'))).toEqual(describeTree(share));
  });
});
