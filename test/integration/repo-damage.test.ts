import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBlob } from '../../main/engine/repo/blob';
import { backupSources, type BackupSource } from '../../main/engine/repo/backup';
import { checkRepository } from '../../main/engine/repo/check';
import { PackBuilder } from '../../main/engine/repo/pack';
import { Repository } from '../../main/engine/repo/repository';
import { restoreSnapshot, type RestoreState } from '../../main/engine/repo/restore';
import { listSnapshots, loadAllSnapshots, rebuildCatalog } from '../../main/engine/repo/snapshot';
import { LocalBackend } from '../../main/engine/storage/local';

let tmp: string;
const sdek = crypto.randomBytes(32);
const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function makeShare(root: string, files: number, size: number): void {
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  for (let i = 0; i < files; i++)
    fs.writeFileSync(path.join(root, i % 2 ? 'sub' : '', `file-${i}.bin`), crypto.randomBytes(size));
}

async function setup(name: string, packTarget = 1 << 20) {
  const share = path.join(tmp, name, 'share');
  makeShare(share, 12, 400_000);
  const backend = await LocalBackend.open(path.join(tmp, name, 'account'), { create: true });
  const repo = await Repository.init(backend, sdek, { packTarget });
  const sources: BackupSource[] = [{ name: 'share', path: share, kind: 'tree' }];
  return { share, backend, repo, sources };
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-damage-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('damaged accounts', () => {
  it('a corrupted pack: check --read-data finds it, restore names the damaged file and restores the rest', async () => {
    const { share, backend, repo, sources } = await setup('corrupt');
    const { snapshot } = await backupSources(repo, sources);
    const tree = snapshot.sources[0].kind === 'tree' ? snapshot.sources[0].entries : [];
    const victim = tree.find((e) => e.path === 'file-0.bin')!;
    const loc = repo.locate(victim.chunks![1]);
    const packFile = path.join(backend.root, ...loc.pack.split('/'));
    const fd = fs.openSync(packFile, 'r+');
    fs.writeSync(fd, Buffer.from([0xff, 0x00, 0xff]), 0, 3, loc.offset + 40);
    fs.closeSync(fd);

    expect((await checkRepository(repo)).ok).toBe(true); // structure alone cannot see flipped bytes
    const report = await checkRepository(repo, { readData: true });
    expect(report.ok).toBe(false);
    const chunkProblem = report.problems.find((p) => p.kind === 'damaged-chunk')!;
    expect(chunkProblem.object).toBe(loc.pack);
    expect(chunkProblem.affected).toContainEqual({ snapshot: snapshot.id, source: 'share', path: 'file-0.bin' });
    expect(report.problems.some((p) => p.kind === 'damaged-pack')).toBe(true);

    const out = path.join(tmp, 'corrupt/restore');
    const err = (await restoreSnapshot(repo, snapshot.id, out).catch((e: unknown) => e)) as Error & {
      code: string;
      damaged: Array<{ path: string }>;
    };
    expect(err.code).toBe('io_error');
    expect(err.message).toMatch(
      /1 file\(s\) could not be restored because their backup data is damaged: share\/file-0\.bin/,
    );
    expect(err.damaged.map((d) => d.path)).toEqual(['file-0.bin']);
    expect(sha(path.join(out, 'share/sub/file-1.bin'))).toBe(sha(path.join(share, 'sub/file-1.bin')));
  });

  it('a missing pack is found by the structure check and named per backup file', async () => {
    const { backend, repo, sources } = await setup('missing');
    const { snapshot } = await backupSources(repo, sources);
    const entry = (snapshot.sources[0].kind === 'tree' ? snapshot.sources[0].entries : []).find(
      (e) => e.path === 'sub/file-3.bin',
    )!;
    const pack = repo.locate(entry.chunks![0]).pack;
    await backend.delete(pack);
    const report = await checkRepository(await Repository.open(backend, sdek));
    const problem = report.problems.find((p) => p.kind === 'missing-pack')!;
    expect(problem.object).toBe(pack);
    expect(problem.affected.map((a) => a.path)).toContain('sub/file-3.bin');
  });

  it('a damaged manifest is collected once and reported alike by list, check and the catalog rebuild', async () => {
    const { backend, repo, sources } = await setup('manifest');
    const good = (await backupSources(repo, sources)).snapshot;
    const bad = (await backupSources(repo, sources, { previous: good })).snapshot;
    const file = path.join(backend.root, 'snapshots', bad.id);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 5] ^= 0xff;
    fs.writeFileSync(file, bytes);

    const all = await loadAllSnapshots(repo);
    expect(all.manifests.map((m) => m.id)).toEqual([good.id]);
    expect(all.damaged).toEqual([
      { id: bad.id, message: `The manifest of backup ${bad.id} is damaged and cannot be read.` },
    ]);
    expect(await listSnapshots(repo)).toMatchObject({ snapshots: [{ id: good.id }], damaged: all.damaged });
    expect(await rebuildCatalog(repo)).toMatchObject({ snapshots: [{ id: good.id }], damaged: all.damaged });
    const report = await checkRepository(repo);
    expect(report.snapshots).toBe(2);
    expect(report.problems).toEqual([
      {
        kind: 'damaged-snapshot',
        object: `snapshots/${bad.id}`,
        message: all.damaged[0].message,
        affected: [{ snapshot: bad.id, source: '', path: '' }],
      },
    ]);
  });
});

describe('crash safety', () => {
  it('a pack written without its index (a crash) is ignored: nothing listed, check clean, next backup completes', async () => {
    const { share, backend, repo, sources } = await setup('crash');
    const orphan = new PackBuilder(undefined, repo.keys);
    orphan.add(encodeBlob(repo.keys, crypto.randomBytes(100_000)));
    const written = orphan.finish(repo.keys);
    await backend.put(written.name, written.bytes);
    const reopened = await Repository.open(backend, sdek);
    expect(reopened.index.size).toBe(0);
    expect((await listSnapshots(reopened)).snapshots).toEqual([]);
    const before = await checkRepository(reopened, { readData: true });
    expect(before).toMatchObject({ ok: true, unreferencedPacks: 1 });

    const { snapshot } = await backupSources(reopened, sources);
    expect((await listSnapshots(reopened)).snapshots.map((s) => s.id)).toEqual([snapshot.id]);
    expect((await checkRepository(reopened, { readData: true })).ok).toBe(true);
    const out = path.join(tmp, 'crash/restore');
    await restoreSnapshot(reopened, snapshot.id, out);
    for (const f of ['file-0.bin', 'sub/file-11.bin'])
      expect(sha(path.join(out, 'share', f))).toBe(sha(path.join(share, f)));
  });

  it('a cancelled backup lists nothing, and the next one reuses the packs it finished', async () => {
    const { backend, repo, sources } = await setup('cancel');
    const controller = new AbortController();
    const cancelled = backupSources(repo, sources, {
      signal: controller.signal,
      onProgress: (p) => void (p.phase === 'reading' && p.bytesUploaded > 0 && controller.abort()),
    });
    await expect(cancelled).rejects.toThrow();
    const reopened = await Repository.open(backend, sdek);
    expect((await listSnapshots(reopened)).snapshots).toEqual([]);
    expect(reopened.index.size).toBeGreaterThan(0);
    const { snapshot } = await backupSources(reopened, sources);
    expect(snapshot.stats.bytesNew).toBeLessThan(snapshot.stats.bytes);
    expect((await checkRepository(reopened, { readData: true })).ok).toBe(true);
  });

  it('an interrupted restore resumes without refetching what is done, and re-fetches what was lost', async () => {
    const { share, repo, sources } = await setup('resume');
    const { snapshot } = await backupSources(repo, sources);
    const out = path.join(tmp, 'resume/restore');
    const controller = new AbortController();
    let state: RestoreState | undefined;
    let fetchedFirst = 0;
    await expect(
      restoreSnapshot(repo, snapshot.id, out, {
        batchBytes: 1 << 20,
        concurrency: 1,
        signal: controller.signal,
        onProgress: (p, s) => {
          state = s;
          fetchedFirst = p.bytesFetched;
          if (p.chunksDone > p.chunksTotal / 3) controller.abort();
        },
      }),
    ).rejects.toThrow();
    expect(state!.doneCount).toBeGreaterThan(0);
    // Simulate a write the OS lost in a crash: zero the start of the first restored file.
    const firstDone = fs
      .readdirSync(path.join(out, 'share'))
      .find((f) => f.endsWith('.bin') && fs.statSync(path.join(out, 'share', f)).size > 0)!;
    fs.writeFileSync(path.join(out, 'share', firstDone), Buffer.alloc(4096), { flag: 'r+' });

    const result = await restoreSnapshot(repo, snapshot.id, out, { resumeState: state });
    const total = fs.readdirSync(path.join(tmp, 'resume/account/data'), { recursive: true }).length;
    expect(total).toBeGreaterThan(0);
    expect(result.bytesFetched).toBeLessThan(12 * 400_000 - fetchedFirst / 2);
    for (let i = 0; i < 12; i++) {
      const rel = path.join(i % 2 ? 'sub' : '', `file-${i}.bin`);
      expect(sha(path.join(out, 'share', rel)), rel).toBe(sha(path.join(share, rel)));
    }
  });
});
