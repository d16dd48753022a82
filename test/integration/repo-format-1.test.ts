/**
 * A repository written by the first format (HMAC-SHA256 chunk ids, packs named by their SHA-256), made by the Lifeboat
 * of that time and kept under test/fixtures/repo-format-1: today's code must open it, check it (reading every pack),
 * restore it byte for byte with its holes, and back up into it again without breaking its dedup.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../main/engine/errors'; // first: the engine's modules import it in a cycle that needs it loaded
import { backupSources } from '../../main/engine/repo/backup';
import { checkRepository } from '../../main/engine/repo/check';
import { Repository } from '../../main/engine/repo/repository';
import { restoreSnapshot } from '../../main/engine/repo/restore';
import { loadSnapshot } from '../../main/engine/repo/snapshot';
import { LocalBackend } from '../../main/engine/storage/local';

const fixture = path.join(__dirname, '../fixtures/repo-format-1');
const expected = JSON.parse(fs.readFileSync(path.join(fixture, 'expected.json'), 'utf8')) as {
  sdek: string;
  snapshot: string;
  files: Record<string, string>;
};
const sdek = Buffer.from(expected.sdek, 'hex');
let tmp: string;
let account: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-format1-'));
  account = path.join(tmp, 'account');
  fs.cpSync(path.join(fixture, 'account'), account, { recursive: true });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('a repository of format 1', () => {
  it('checks clean, reading every pack', async () => {
    const repo = await Repository.open(await LocalBackend.open(account), sdek);
    expect(repo.config.format).toBe(1);
    const report = await checkRepository(repo, { readData: true });
    expect(report.problems).toEqual([]);
    expect(report.bytesRead).toBeGreaterThan(0);
  });

  it('restores byte-identical, holes and links included', async () => {
    const repo = await Repository.open(await LocalBackend.open(account), sdek);
    const out = path.join(tmp, 'out');
    const result = await restoreSnapshot(repo, expected.snapshot, out);
    expect(result.damaged ?? []).toEqual([]);
    for (const [rel, want] of Object.entries(expected.files)) {
      const p = path.join(out, rel);
      if (want.startsWith('-> ')) expect(fs.readlinkSync(p), rel).toBe(want.slice(3));
      else expect(sha(p), rel).toBe(want);
    }
    expect(fs.statSync(path.join(out, 'share/empty/dir')).isDirectory()).toBe(true);
    // The sparse file's holes were recorded by that format's writer and are holes again after restore.
    const manifest = await loadSnapshot(repo, expected.snapshot);
    const tree = manifest.sources.find((s) => s.kind === 'tree')!;
    const sparse = tree.kind === 'tree' ? tree.entries.find((e) => e.path === 'sparse.bin') : undefined;
    expect(sparse?.holes?.length).toBeGreaterThan(0);
    expect(fs.statSync(path.join(out, 'share/sparse.bin')).blocks * 512).toBeLessThan(1 << 20);
  });

  it('takes new backups that dedup against its old chunks', async () => {
    const repo = await Repository.open(await LocalBackend.open(account), sdek);
    const out = path.join(tmp, 'out');
    const again = await backupSources(repo, [{ name: 'share', path: path.join(out, 'share'), kind: 'tree' }]);
    expect(again.snapshot.stats.chunksNew).toBe(0);
    const reopened = await Repository.open(await LocalBackend.open(account), sdek);
    const report = await checkRepository(reopened, { readData: true });
    expect(report.problems).toEqual([]);
  });
});
