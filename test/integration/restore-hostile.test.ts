/**
 * Hostile and damaged backups (issue 13): manifests forged through the repository's own writer (saveSnapshot) with
 * names that try to leave the target or write through a link, and packs with flipped bytes. A restore writes nothing
 * outside its target, refuses for good (no resume offered), and never leaves a damaged file looking restored.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../main/shared/schemas';
import type { Engine } from '../../main/engine/engine';
import { LifeboatError } from '../../main/shared/errors';
import { parseSdek } from '../../main/engine/keys';
import { backupSources } from '../../main/engine/repo/backup';
import { Repository } from '../../main/engine/repo/repository';
import { restoreSnapshot, type DamagedFile, type RestoreState } from '../../main/engine/repo/restore';
import { createLinks, prepareTree, type FileTarget, type LinkTarget } from '../../main/engine/repo/restore-files';
import {
  loadSnapshot,
  newSnapshotId,
  saveSnapshot,
  type SnapshotManifest,
  type SourceManifest,
  type TreeEntry,
} from '../../main/engine/repo/snapshot';
import { LocalBackend } from '../../main/engine/storage/local';
import { buildMain, cli, ok, tempHome } from '../helpers/home';
import { deactivate, fileServer, fileServerWithData, openEngine, settle, value } from './failover-setup';

let tmp: string;
let repo: Repository;
let base: SnapshotManifest;
let share: string;
const sdek = crypto.randomBytes(32);
const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-hostile-'));
  share = path.join(tmp, 'share');
  fs.mkdirSync(path.join(share, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(share, 'a.txt'), 'payload\n');
  fs.writeFileSync(path.join(share, 'big.bin'), crypto.randomBytes(400_000));
  fs.writeFileSync(path.join(share, 'clash.bin'), crypto.randomBytes(300_000));
  fs.writeFileSync(path.join(share, 'clash.bin.damaged'), 'a real file of this name');
  fs.writeFileSync(path.join(share, 'sub/b.txt'), 'beside\n');
  repo = await Repository.init(await LocalBackend.open(path.join(tmp, 'account'), { create: true }), sdek);
  base = (await backupSources(repo, [{ name: 'share', path: share, kind: 'tree' }])).snapshot;
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
// The restore job runs in the worker pool, from dist/ (the CLI and failover tests below).
beforeAll(buildMain, 120_000);

/** The real backup's entry for `p` (its chunks are in the account), under another path. */
function entry(p: string, as = p): TreeEntry {
  const src = base.sources[0] as Extract<SourceManifest, { kind: 'tree' }>;
  return { ...src.entries.find((e) => e.path === p)!, path: as };
}
const link = (p: string, target: string): TreeEntry => ({
  path: p,
  type: 'symlink',
  target,
  mode: 0o777,
  mtimeMs: Date.now(),
});
const dir = (p: string, mode = 0o755): TreeEntry => ({ path: p, type: 'dir', mode, mtimeMs: Date.now() });

/** Saves a manifest with these sources through the repository's own writer, as someone holding the SDEK could. */
async function forge(sources: SourceManifest[]): Promise<string> {
  const id = newSnapshotId();
  await saveSnapshot(repo, { ...base, id, time: new Date().toISOString(), sources });
  return id;
}
const tree = (name: string, entries: TreeEntry[]): SourceManifest => ({ name, kind: 'tree', path: '/forged', entries });

/** A fresh case folder with the restore target two levels down, so `../..` from a source lands inside the case. */
function caseDir(name: string): { root: string; out: string; outside: string } {
  const root = path.join(tmp, name);
  const outside = path.join(root, 'outside');
  fs.mkdirSync(outside, { recursive: true });
  return { root, out: path.join(root, 'deep/er/out'), outside };
}
/** Every file under `dir`, relative. */
const listing = (d: string) => (fs.existsSync(d) ? (fs.readdirSync(d, { recursive: true }) as string[]).sort() : []);

/** What a restore threw, or undefined when it succeeded. */
const attempt = (id: string, out: string, opts = {}) =>
  restoreSnapshot(repo, id, out, opts).then(
    () => undefined,
    (e: unknown) => e,
  );

/** The refusal of an unsafe name: final, so the job is not resumable and its hint offers no resume. */
function expectRefused(err: unknown, id: string): LifeboatError {
  expect(err).toBeInstanceOf(LifeboatError);
  const e = err as LifeboatError;
  expect(e).toMatchObject({ code: 'damaged', final: true });
  expect(e.message).toMatch(
    new RegExp(
      `^Backup ${id} holds an unsafe .*; a restore never writes outside its target, so nothing was restored\\.$`,
    ),
  );
  expect(e.hint).not.toMatch(/resume/i);
  return e;
}
const refused = async (id: string, out: string, opts = {}) => expectRefused(await attempt(id, out, opts), id);

describe('a hostile backup stays inside its target', () => {
  it('refuses a source named ../../x (tree or image) before writing anything', async () => {
    const { root, out } = caseDir('source-name');
    const id = await forge([tree('../../x', [entry('a.txt')])]);
    expect((await refused(id, out)).message).toContain('unsafe source name "../../x"');
    expect(fs.existsSync(path.join(root, 'deep/x'))).toBe(false);
    expect(listing(root)).toEqual(['outside']); // not even the target was made

    for (const name of ['..', '.', '', 'a/b', '/abs']) await refused(await forge([tree(name, [entry('a.txt')])]), out);
    const image: SourceManifest = {
      name: '../disk.img',
      kind: 'image',
      path: '/forged.img',
      size: 8,
      blockSize: 65536,
      mode: 0o644,
      mtimeMs: 0,
      sparseMethod: 'stat',
      extents: [{ offset: 0, length: 8 }],
    };
    await refused(await forge([image]), out);
    expect(listing(root)).toEqual(['outside']);
  });

  it('refuses entry paths with "..", an absolute path or empty parts, and names the first', async () => {
    const { root, out } = caseDir('entry-path');
    for (const bad of [
      '../escape.txt',
      'sub/../../escape.txt',
      '../../../escape.txt',
      '/escape.txt',
      'sub//x',
      './x',
      'sub/.',
      '',
    ]) {
      const e = await refused(await forge([tree('share', [entry('sub/b.txt'), entry('a.txt', bad)])]), out);
      expect(e.message).toContain(`unsafe path ${JSON.stringify(bad)} in share`);
    }
    // Nothing was written, the good entry before the bad one included.
    expect(listing(root)).toEqual(['outside']);
    // The guard holds for a path restore too: the bad entry is inside the chosen path.
    await refused(await forge([tree('share', [entry('a.txt', 'sub/../../../escape.txt')])]), out, { path: 'sub' });
    expect(listing(root)).toEqual(['outside']);
  });

  it('never writes through a link entry: a file below one is refused, whichever comes first', async () => {
    const { root, out, outside } = caseDir('link');
    for (const entries of [
      [entry('a.txt', 'evil/pwned.txt'), link('evil', outside)],
      [link('evil', outside), entry('a.txt', 'evil/pwned.txt')],
      [dir('evil'), entry('a.txt', 'evil/pwned.txt'), link('evil', outside)],
      [link('sub/evil', '../../../outside'), entry('a.txt', 'sub/evil/x/pwned.txt')],
    ]) {
      const id = await forge([tree('share', entries)]);
      const err = await attempt(id, out);
      expect(listing(outside)).toEqual([]);
      expect(expectRefused(err, id).message).toMatch(/lies below the symbolic link "(sub\/)?evil"/);
    }
    expect(listing(root)).toEqual(['outside']);
  });

  it('a folder and a link of the same path: the link is made last and nothing is changed through it', async () => {
    const { out, outside } = caseDir('same-path');
    const before = fs.statSync(outside);
    await restoreSnapshot(
      repo,
      await forge([tree('share', [dir('evil', 0o700), link('evil', outside), entry('a.txt')])]),
      out,
    );
    expect(fs.readlinkSync(path.join(out, 'share/evil'))).toBe(outside);
    const after = fs.statSync(outside);
    expect([after.mode, after.mtimeMs]).toEqual([before.mode, before.mtimeMs]);
    expect(fs.readFileSync(path.join(out, 'share/a.txt'), 'utf8')).toBe('payload\n');
  });

  it('lays out no link before every file is written: links wait for createLinks', async () => {
    const { out, outside } = caseDir('links-last');
    const root = path.join(out, 'share');
    const files: FileTarget[] = [];
    const links: LinkTarget[] = [];
    // Straight to the layout, past the name checks: the order alone keeps a restore from writing through a link.
    await prepareTree(root, [entry('a.txt', 'evil/pwned.txt'), link('evil', outside)], [], files, links, 'share');
    expect(fs.lstatSync(path.join(root, 'evil')).isDirectory()).toBe(true);
    expect(links.map((l) => l.full)).toEqual([path.join(root, 'evil')]);
    fs.writeFileSync(files[0].full, 'written while evil is a real folder');
    await createLinks(links);
    expect(fs.readlinkSync(path.join(root, 'evil'))).toBe(outside);
    expect(listing(outside)).toEqual([]);
  });
});

/** Flips bytes inside one chunk of `file`'s blob; returns how to put them back. */
function corrupt(file: string, chunk = 0, r = repo, e = entry(file)): () => void {
  const loc = r.locate(e.chunks![chunk]);
  const pack = path.join((r.backend as LocalBackend).root, ...loc.pack.split('/'));
  const fd = fs.openSync(pack, 'r+');
  const original = Buffer.alloc(3);
  fs.readSync(fd, original, 0, 3, loc.offset + 40);
  fs.writeSync(fd, Buffer.from([0xff, 0x00, 0xff]), 0, 3, loc.offset + 40);
  fs.closeSync(fd);
  return () => {
    const back = fs.openSync(pack, 'r+');
    fs.writeSync(back, original, 0, 3, loc.offset + 40);
    fs.closeSync(back);
  };
}

describe('a failed restore never leaves normal-looking damaged files', () => {
  it('renames each damaged file NAME.damaged (removed when that name is restored too), lists them, and a resume tidies up', async () => {
    const { out } = caseDir('damaged');
    const repairBig = corrupt('big.bin', 1);
    const repairClash = corrupt('clash.bin');
    let state: RestoreState | undefined;
    const err = (await restoreSnapshot(repo, base.id, out, { onProgress: (_p, s) => (state = s) }).catch(
      (e: unknown) => e,
    )) as LifeboatError & { damaged: DamagedFile[] };
    repairBig();
    repairClash();
    expect(err).toMatchObject({ code: 'io_error', final: false });
    expect(err.message).toMatch(
      /^2 file\(s\) could not be restored because their backup data is damaged: share\/(big|clash)\.bin, share\/(big|clash)\.bin\.$/,
    );
    expect(err.hint).toContain('NAME.damaged');
    const byPath = Object.fromEntries(err.damaged.map((d) => [d.path, d]));
    const s = path.join(out, 'share');
    expect(byPath['big.bin']).toMatchObject({
      source: 'share',
      chunks: 1,
      keptAs: path.join(s, 'big.bin.damaged'),
      chunk: entry('big.bin').chunks![1],
    });
    expect(byPath['clash.bin']).toMatchObject({ source: 'share', chunks: 1 });
    expect(byPath['clash.bin'].keptAs).toBeUndefined();
    // Nothing damaged passes for restored: big.bin's partial copy is set aside, clash.bin is gone and the real
    // clash.bin.damaged of the backup is restored, not overwritten.
    expect(fs.existsSync(path.join(s, 'big.bin'))).toBe(false);
    expect(fs.statSync(path.join(s, 'big.bin.damaged')).size).toBe(400_000);
    expect(fs.existsSync(path.join(s, 'clash.bin'))).toBe(false);
    expect(fs.readFileSync(path.join(s, 'clash.bin.damaged'), 'utf8')).toBe('a real file of this name');
    expect(sha(path.join(s, 'sub/b.txt'))).toBe(sha(path.join(share, 'sub/b.txt')));

    // The account repaired, the resumed restore writes both whole and drops the set-aside copy it replaces.
    const result = await restoreSnapshot(repo, base.id, out, { resumeState: state });
    expect(result.damaged).toEqual([]);
    for (const f of ['big.bin', 'clash.bin', 'clash.bin.damaged', 'a.txt'])
      expect(sha(path.join(s, f)), f).toBe(sha(path.join(share, f)));
    expect(fs.existsSync(path.join(s, 'big.bin.damaged'))).toBe(false);
  });
});

describe('through the restore job and the CLI', () => {
  it('a hostile backup fails its job for good; a damaged one lists its set-aside files in the job result (--json)', async () => {
    const home = tempHome();
    const sdek = ok(cli(home, ['service', 'init', '--name', 'Lab', '--json'])).json<{ sdek: string }>().sdek;
    const account = path.join(tempHome('lifeboat-acct-'), 'acct');
    ok(cli(home, ['account', 'add', 'lab', '--local', account]));
    ok(cli(home, ['backup', 'create', '--account', 'lab', '--source', share]));
    const [real] = ok(cli(home, ['backup', 'list', '--json'])).json<Array<{ id: string }>>();

    // A forged backup in the account, found by a catalog rebuild as a fresh install would find it.
    const acct = await Repository.open(await LocalBackend.open(account), parseSdek(sdek).key);
    const manifest = await loadSnapshot(acct, real.id);
    const forged = newSnapshotId();
    await saveSnapshot(acct, { ...manifest, id: forged, sources: [{ ...manifest.sources[0], name: '../../x' }] });
    ok(cli(home, ['account', 'rebuild-catalog', 'lab']));
    const data = tempHome('lifeboat-out-');
    const out = path.join(data, 'deep/er/out');
    const hostile = cli(home, ['backup', 'restore', forged, '--to', out, '--json']);
    expect(hostile.code).toBe(1);
    const failed = hostile.json<Job>();
    expect(failed).toMatchObject({
      type: 'backup.restore',
      status: 'failed',
      resumable: false,
      error: { code: 'damaged', message: expect.stringContaining('unsafe source name "../../x"') },
    });
    expect(failed.error?.hint).not.toMatch(/resume/i);
    expect(fs.readdirSync(data)).toEqual([]);

    // Damaged data: the job fails (resumable, the account may be repaired), its result names the set-aside files.
    const big = (manifest.sources[0] as Extract<SourceManifest, { kind: 'tree' }>).entries.find(
      (e) => e.path === 'big.bin',
    )!;
    const repair = corrupt('big.bin', 0, acct, big);
    const out2 = path.join(data, 'out2');
    const damaged = cli(home, ['backup', 'restore', real.id, '--to', out2, '--json']);
    repair();
    expect(damaged.code).toBe(1);
    const job = damaged.json<Job>();
    expect(job).toMatchObject({ status: 'failed', resumable: true, error: { code: 'io_error' } });
    expect(job.result).toEqual({
      damagedFiles: 1,
      damaged: [
        {
          source: 'share',
          path: 'big.bin',
          chunk: big.chunks![0],
          chunks: 1,
          reason: expect.any(String),
          keptAs: path.join(out2, 'share/big.bin.damaged'),
        },
      ],
    });
    expect(fs.existsSync(path.join(out2, 'share/big.bin'))).toBe(false);

    // Resumed once the account is repaired: the result says what was restored, and the set-aside copy is gone.
    const done = ok(cli(home, ['jobs', 'resume', job.id, '--json'])).json<Job>();
    expect(done.status).toBe('succeeded');
    expect(done.result).toMatchObject({ damagedFiles: 0, damaged: [], files: 5 });
    expect(sha(path.join(out2, 'share/big.bin'))).toBe(sha(path.join(share, 'big.bin')));
    expect(fs.existsSync(path.join(out2, 'share/big.bin.damaged'))).toBe(false);
  }, 180_000);
});

describe('device failover restores through the same guard', () => {
  let engine: Engine | null = null;
  afterEach(async () => {
    await engine?.close();
    engine = null;
  });

  it('a share whose backup writes through a link stops the failover with nothing outside the target; abandon cleans it', async () => {
    const { engine: e, key } = await openEngine();
    engine = e;
    const account = path.join(tempHome('lifeboat-acct-'), 'lab');
    value(await e.call('accounts.add', { name: 'lab', local: account }));
    await fileServerWithData(e, key, 'fs1', { account: 'lab' });
    await deactivate(e, 'fs1');
    const target = await fileServer(e, key, 'fs2');

    // The final backup's manifest replaced by one whose docs share plants a link and writes below it.
    const [final] = value(await e.call('backups.list', {})).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const acct = await Repository.open(await LocalBackend.open(account), e.service.sdekKey());
    const manifest = await loadSnapshot(acct, final.id);
    const docs = manifest.sources.find((x) => x.name === 'docs') as Extract<SourceManifest, { kind: 'tree' }>;
    const readme = docs.entries.find((x) => x.path === 'readme.txt')!;
    const outside = path.join(tempHome('lifeboat-outside-'), 'elsewhere');
    fs.mkdirSync(outside);
    docs.entries.push({ ...readme, path: 'evil/pwned.txt' }, link('evil', outside));
    await acct.backend.delete(`snapshots/${final.id}`);
    await saveSnapshot(acct, manifest);

    const failed = await settle(e, value(await e.call('failover.start', { source: 'fs1', target: 'fs2' })), 'failed');
    expect(failed.error!.message).toMatch(
      /restoring the share docs failed \(job job-\w+\): Backup \w+ holds an unsafe path "evil\/pwned\.txt" in docs \(it lies below the symbolic link "evil"\)/,
    );
    expect(failed.error!.hint).toBe(
      `This backup cannot be restored as it is: abandon the failover with \`lifeboat failover abandon ${failed.id}\` (the target is cleaned and released).`,
    );
    expect(listing(outside)).toEqual([]);
    expect(fs.existsSync(path.join(target.root, 'shares', 'docs', 'evil'))).toBe(false);

    expect(value(await e.call('failover.abandon', { id: failed.id }))).toMatchObject({ status: 'cancelled' });
    expect(fs.readdirSync(path.join(target.root, 'shares'))).toEqual([]);
    expect(listing(outside)).toEqual([]);
  }, 180_000);
});
