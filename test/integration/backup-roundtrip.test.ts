import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { contract } from '../../main/shared/contract';
import { Engine } from '../../main/engine/engine';
import { backupJob, type BackupParams } from '../../main/engine/backups/backup-job';
import { loadAllSnapshots, newSnapshotId, saveSnapshot, type SnapshotManifest } from '../../main/engine/repo/snapshot';
import { cli, tempHome, buildMain, ok } from '../helpers/home';
import { stepContext } from '../helpers/step-context';
import { describeTree } from '../helpers/tree';
import { error, value } from './failover-setup';

const output = <N extends keyof typeof contract>(name: N, text: string) =>
  contract[name].output.parse(JSON.parse(text)) as z.output<(typeof contract)[N]['output']>;
type Job = z.output<(typeof contract)['jobs.wait']['output']>;

beforeAll(buildMain, 120_000);

function makeShare(root: string): void {
  fs.mkdirSync(path.join(root, 'docs/deep'), { recursive: true });
  fs.mkdirSync(path.join(root, 'empty'));
  fs.writeFileSync(path.join(root, 'docs/readme.txt'), 'lifeboat\n'.repeat(5000));
  fs.writeFileSync(path.join(root, 'docs/deep/random.bin'), crypto.randomBytes(2 << 20));
  for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(root, `docs/f${i}.dat`), crypto.randomBytes(100_000));
  fs.writeFileSync(path.join(root, 'Ünïcødé.txt'), 'names survive');
  fs.symlinkSync('docs/readme.txt', path.join(root, 'link'));
}

function setup() {
  const home = tempHome();
  const sdek = output('service.init', ok(cli(home, ['service', 'init', '--name', 'Lab', '--json'])).stdout).sdek;
  const account = path.join(tempHome('lifeboat-acct-'), 'acct');
  ok(cli(home, ['account', 'add', 'lab', '--local', account]));
  const data = tempHome('lifeboat-src-');
  const share = path.join(data, 'share');
  makeShare(share);
  return { home, sdek, account, data, share };
}

describe('backups through the CLI', () => {
  it('create → list → show → restore byte-identical, incremental after edits, refusal of a non-empty folder', () => {
    const { home, data, share } = setup();
    const first = ok(cli(home, ['backup', 'create', '--account', 'lab', '--source', share, '--label', 'first']));
    expect(first.stdout).toMatch(/Back up share to lab job-\w+: succeeded/);
    expect(first.stdout).toMatch(/\d+ of \d+ files, .* read, .* uploaded/);
    const [b1] = output('backups.list', ok(cli(home, ['backup', 'list', '--account', 'lab', '--json'])).stdout);
    expect(b1).toMatchObject({
      account: 'lab',
      label: 'first',
      parentId: null,
      sources: [{ name: 'share', kind: 'tree', path: share }],
    });
    const shown = output('backups.show', ok(cli(home, ['backup', 'show', b1.id, '--json'])).stdout);
    expect(shown.bytes).toBe(Object.values(describeTree(share)).length && shown.sources[0].bytes);
    expect(shown.dedupRatio).toBeGreaterThanOrEqual(1);
    expect(shown.compressionRatio).toBeGreaterThan(1); // the repeated text compresses

    const out1 = path.join(data, 'restore1');
    ok(cli(home, ['backup', 'restore', b1.id, '--to', out1]));
    expect(describeTree(path.join(out1, 'share'))).toEqual(describeTree(share));

    // Edits, a delete, a rename and a new file: the next backup reads only what changed.
    fs.appendFileSync(path.join(share, 'docs/f1.dat'), 'more');
    fs.rmSync(path.join(share, 'docs/f2.dat'));
    fs.renameSync(path.join(share, 'docs/f3.dat'), path.join(share, 'docs/f3-renamed.dat'));
    fs.writeFileSync(path.join(share, 'new.txt'), 'new file');
    ok(cli(home, ['backup', 'create', '--account', 'lab', '--source', share, '--label', 'second']));
    const [b2] = output('backups.list', ok(cli(home, ['backup', 'list', '--json'])).stdout);
    expect(b2).toMatchObject({ label: 'second', parentId: b1.id });
    expect(b2.bytesRead).toBeLessThan(300_000);
    expect(b2.storedNew).toBeLessThan(250_000);
    const out2 = path.join(data, 'restore2');
    ok(cli(home, ['backup', 'restore', b2.id, '--to', out2]));
    expect(describeTree(path.join(out2, 'share'))).toEqual(describeTree(share));

    const refused = cli(home, ['backup', 'restore', b2.id, '--to', out2]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`error (conflict): The folder ${out2} is not empty.`);
    fs.writeFileSync(path.join(out2, 'share/docs/readme.txt'), 'clobbered');
    ok(cli(home, ['backup', 'restore', b2.id, '--to', out2, '--overwrite', '--path', 'docs']));
    expect(describeTree(path.join(out2, 'share'))).toEqual(describeTree(share));

    // Finding the path: the backup's folders, one at a time.
    const listed = ok(cli(home, ['backup', 'files', b2.id, '--path', 'docs'])).stdout;
    expect(listed).toMatch(/^share\/docs: 11 entries\n/); // f2 deleted, f3 renamed
    expect(listed).toMatch(/^dir +deep\/ +2\.0 MiB +1 /m);
    expect(listed).toMatch(/^file +readme\.txt +44 KiB +1 /m);
    expect(listed).toContain(
      `Restore one with: lifeboat backup restore ${b2.id} --source share --path PATH --to FOLDER`,
    );

    // A path given with its source's name: the error says how to write it, and offers no resume (it would fail again).
    const named = cli(home, ['backup', 'restore', b2.id, '--to', path.join(data, 'restore3'), '--path', 'share/docs']);
    expect(named.code).toBe(1);
    expect(named.stdout).toContain(`error (not_found): Backup ${b2.id} has no path "share/docs" in share.`);
    expect(named.stdout).toContain(
      "hint: A path is inside the sources, without a source's name: try --source share --path docs.",
    );
    expect(named.stdout).not.toContain('Resume it with');
    const [failed] = output('jobs.list', ok(cli(home, ['jobs', 'list', '--json'])).stdout);
    expect(failed).toMatchObject({ type: 'backup.restore', status: 'failed', resumable: false });
    expect(cli(home, ['jobs', 'resume', failed.id]).stderr).toMatch(/^error \(\w+\): /m);
  });

  it('a second home joined with another SDEK is refused; one joined with the right SDEK rebuilds the catalog', () => {
    const { home, sdek, account, share } = setup();
    ok(cli(home, ['backup', 'create', '--account', 'lab', '--source', share]));
    ok(cli(home, ['backup', 'create', '--account', 'lab', '--source', share, '--label', 'again']));
    const backups = output('backups.list', ok(cli(home, ['backup', 'list', '--json'])).stdout);

    const stranger = tempHome();
    const otherKey = output(
      'service.init',
      ok(cli(tempHome(), ['service', 'init', '--name', 'Other', '--json'])).stdout,
    ).sdek;
    ok(cli(stranger, ['service', 'join', '--sdek', otherKey]));
    const bad = cli(stranger, ['account', 'add', 'lab', '--local', account, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error).toMatchObject({
      code: 'bad_key',
      message: 'This key does not open this account.',
    });
    expect(output('accounts.list', ok(cli(stranger, ['account', 'list', '--json'])).stdout)).toEqual([]);

    const fresh = tempHome();
    ok(cli(fresh, ['service', 'join', '--sdek', sdek]));
    const added = output(
      'accounts.add',
      ok(cli(fresh, ['account', 'add', 'recovered', '--local', account, '--json'])).stdout,
    );
    expect(added).toMatchObject({ repositoryCreated: false, backupsFound: 2 });
    const rebuilt = output(
      'accounts.rebuildCatalog',
      ok(cli(fresh, ['account', 'rebuild-catalog', 'recovered', '--json'])).stdout,
    );
    expect(rebuilt).toMatchObject({ backups: 2, added: 0, removed: 0, damaged: [] });
    const listed = output(
      'backups.list',
      ok(cli(fresh, ['backup', 'list', '--account', 'recovered', '--json'])).stdout,
    );
    const strip = (b: (typeof backups)[number]) => ({ ...b, account: '' });
    expect(listed.map(strip)).toEqual(backups.map(strip));
  });

  it('a corrupted pack: account check exits 1 naming the backup and file; restore names the damaged file', () => {
    const { home, account, data, share } = setup();
    ok(cli(home, ['backup', 'create', '--account', 'lab', '--source', share]));
    const [b] = output('backups.list', ok(cli(home, ['backup', 'list', '--json'])).stdout);
    ok(cli(home, ['account', 'check', 'lab']));
    // Flip bytes in the middle of the biggest pack: the random 2 MiB file's chunks sit there.
    const packs = fs
      .readdirSync(path.join(account, 'data'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile());
    const pack = packs
      .map((e) => path.join(e.parentPath, e.name))
      .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
    const fd = fs.openSync(pack, 'r+');
    fs.writeSync(fd, Buffer.alloc(64, 0xee), 0, 64, 1000);
    fs.closeSync(fd);

    const check = cli(home, ['account', 'check', 'lab', '--read-data']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/failed/);
    expect(check.stdout).toMatch(new RegExp(`damaged-chunk .*Affects backup ${b.id} share/`));
    const [checkJob] = output('jobs.list', ok(cli(home, ['jobs', 'list', '--json'])).stdout);
    expect(checkJob).toMatchObject({ type: 'account.check', status: 'failed', error: { code: 'io_error' } });
    expect(checkJob.error?.message).toContain(`backup ${b.id} share/`);

    const out = path.join(data, 'restore');
    const restore = cli(home, ['backup', 'restore', b.id, '--to', out]);
    expect(restore.code).toBe(1);
    expect(restore.stdout).toMatch(/file\(s\) could not be restored because their backup data is damaged: share\//);
    // Everything not damaged is restored.
    expect(fs.readFileSync(path.join(out, 'share/Ünïcødé.txt'), 'utf8')).toBe('names survive');
  });

  it('deletes a backup and prunes by retention, freeing the data only pruned backups used; check stays clean', () => {
    const { home, account, share } = setup();
    for (let i = 0; i < 3; i++) {
      fs.writeFileSync(path.join(share, `gen-${i}.bin`), crypto.randomBytes(300_000));
      ok(cli(home, ['backup', 'create', '--account', 'lab', '--source', share]));
    }
    const all = output('backups.list', ok(cli(home, ['backup', 'list', '--json'])).stdout);
    expect(all).toHaveLength(3);
    const dry = output(
      'backups.prune',
      ok(cli(home, ['backup', 'prune', '--account', 'lab', '--keep-last', '1', '--dry-run', '--json'])).stdout,
    );
    // The newest backup uses every chunk: nothing is dead, and only the three backups' partly filled packs would be
    // merged into one.
    expect(dry).toMatchObject({ dryRun: true, kept: [all[0].id], packsDeleted: 3, packsRepacked: 3 });
    expect(output('backups.list', ok(cli(home, ['backup', 'list', '--json'])).stdout)).toHaveLength(3);
    const none = cli(home, ['backup', 'prune', '--account', 'lab', '--yes']);
    expect(none.code).toBe(2);

    // Destructive commands ask first; with nobody to answer (no terminal) they need --yes.
    const unconfirmed = cli(home, ['backup', 'delete', all[2].id]);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain('hint: Pass --yes to confirm.');
    ok(cli(home, ['backup', 'delete', all[2].id, '--yes']));
    expect(output('backups.list', ok(cli(home, ['backup', 'list', '--json'])).stdout).map((b) => b.id)).toEqual([
      all[0].id,
      all[1].id,
    ]);
    fs.rmSync(path.join(share, 'gen-0.bin'));
    fs.rmSync(path.join(share, 'gen-1.bin'));
    ok(cli(home, ['backup', 'create', '--account', 'lab', '--source', share, '--label', 'latest']));
    // Upload temporaries a crash left behind: prune removes those older than a day, never a fresh one (in use).
    const temp = path.join(account, '.tmp');
    fs.mkdirSync(temp, { recursive: true });
    fs.writeFileSync(path.join(temp, 'crashed.part'), 'partial upload');
    fs.utimesSync(path.join(temp, 'crashed.part'), Date.now() / 1000 - 2 * 86400, Date.now() / 1000 - 2 * 86400);
    fs.writeFileSync(path.join(temp, 'uploading.part'), 'in progress');
    const before = fs.readdirSync(path.join(account, 'data'), { recursive: true }).length;
    const pruned = output(
      'backups.prune',
      ok(cli(home, ['backup', 'prune', '--account', 'lab', '--keep-daily', '1', '--yes', '--json'])).stdout,
    );
    expect(pruned.kept).toHaveLength(1);
    expect(pruned.removed).toHaveLength(2);
    const list = output('backups.list', ok(cli(home, ['backup', 'list', '--json'])).stdout);
    expect(list.map((b) => b.label)).toEqual(['latest']);
    expect(fs.readdirSync(path.join(account, 'data'), { recursive: true }).length).toBeLessThanOrEqual(before);
    expect(fs.readdirSync(temp)).toEqual(['uploading.part']);
    ok(cli(home, ['account', 'check', 'lab', '--read-data']));
    const out = path.join(tempHome(), 'r');
    ok(cli(home, ['backup', 'restore', list[0].id, '--to', out]));
    expect(describeTree(path.join(out, 'share'))).toEqual(describeTree(share));
    // Removing an account that holds backups needs --force.
    const refused = cli(home, ['account', 'remove', 'lab', '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--force');
    ok(cli(home, ['account', 'remove', 'lab', '--force', '--yes']));
  });

  it('prune repacks packs whose unused share is above --max-unused: the account shrinks, restores stay exact, check is clean', () => {
    const { home, account, share } = setup();
    const dataBytes = () =>
      (fs.readdirSync(path.join(account, 'data'), { recursive: true }) as string[]).reduce(
        (n, f) =>
          n +
          (fs.statSync(path.join(account, 'data', f)).isFile() ? fs.statSync(path.join(account, 'data', f)).size : 0),
        0,
      );
    for (let i = 0; i < 24; i++) fs.writeFileSync(path.join(share, `gen-${i}.bin`), crypto.randomBytes(400_000));
    ok(cli(home, ['backup', 'create', '--account', 'lab', '--source', share]));
    // Half the files go and a quarter change: their old chunks sit in the same packs as chunks the next backup keeps.
    for (let i = 0; i < 24; i += 4) {
      fs.rmSync(path.join(share, `gen-${i}.bin`));
      fs.rmSync(path.join(share, `gen-${i + 2}.bin`));
      fs.writeFileSync(path.join(share, `gen-${i + 1}.bin`), crypto.randomBytes(400_000));
    }
    ok(cli(home, ['backup', 'create', '--account', 'lab', '--source', share, '--label', 'latest']));

    // Without repacking (the behaviour before it existed) the partly used packs stay whole.
    const whole = output(
      'backups.prune',
      ok(
        cli(home, [
          'backup',
          'prune',
          '--account',
          'lab',
          '--keep-last',
          '1',
          '--max-unused',
          '100',
          '--yes',
          '--json',
        ]),
      ).stdout,
    );
    expect(whole).toMatchObject({ maxUnused: 100, packsRepacked: 0, bytesRepacked: 0 });
    expect(whole.removed).toHaveLength(1);
    expect(whole.packsPartlyUsed).toBeGreaterThan(0);
    const before = dataBytes();

    const repacked = output(
      'backups.prune',
      ok(cli(home, ['backup', 'prune', '--account', 'lab', '--keep-last', '1', '--yes', '--json'])).stdout,
    );
    expect(repacked).toMatchObject({ maxUnused: 10, removed: [], packsPartlyUsed: 0 });
    expect(repacked.packsRepacked).toBeGreaterThan(0);
    expect(repacked.packsDeleted).toBeGreaterThanOrEqual(repacked.packsRepacked);
    // 18 old file versions of 400 kB (random, stored as is) were unused: the account shrinks by about that much.
    const after = dataBytes();
    expect(before - after).toBe(repacked.bytesFreed);
    expect(repacked.bytesFreed).toBeGreaterThan(18 * 400_000 * 0.9);

    ok(cli(home, ['account', 'check', 'lab', '--read-data']));
    const list = output('backups.list', ok(cli(home, ['backup', 'list', '--json'])).stdout);
    expect(list.map((b) => b.label)).toEqual(['latest']);
    const out = path.join(tempHome(), 'r');
    ok(cli(home, ['backup', 'restore', list[0].id, '--to', out]));
    expect(describeTree(path.join(out, 'share'))).toEqual(describeTree(share));

    // Nothing left to free: a second prune changes nothing.
    const again = output(
      'backups.prune',
      ok(cli(home, ['backup', 'prune', '--account', 'lab', '--keep-last', '1', '--yes', '--json'])).stdout,
    );
    expect(again).toMatchObject({ packsDeleted: 0, packsRepacked: 0, bytesFreed: 0 });
    expect(dataBytes()).toBe(after);
  });
});

describe('backups through the engine', () => {
  let opened: Engine | null = null;
  afterEach(async () => {
    await opened?.close();
    opened = null;
  });
  /** An engine that runs jobs, on a fresh home with a service. */
  function openWithService(): Engine {
    opened = Engine.open({ dataDir: tempHome(), mode: 'cli', runJobs: true });
    opened.service.init('Lab');
    return opened;
  }

  it('lists a backup a folder at a time, and restores a path from the sources that hold it', async () => {
    const engine = openWithService();
    const data = tempHome('lifeboat-src-');
    const share = path.join(data, 'share');
    makeShare(share);
    const other = path.join(data, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'notes.txt'), 'only here');
    const image = path.join(data, 'disk.img');
    fs.writeFileSync(image, crypto.randomBytes(100_000));
    value(await engine.call('accounts.add', { name: 'lab', local: path.join(tempHome(), 'acct') }));
    const created = value(await engine.call('backups.create', { account: 'lab', source: [share, other, image] }));
    expect((await engine.runner.wait(created.id, 60_000)).status).toBe('succeeded');
    const [b] = value(await engine.call('backups.list', {}));
    const files = async (input: { source?: string; path?: string; limit?: number }) =>
      engine.call('backups.files', { id: b.id, ...input });

    // The first source's top: folders first, each with the files and bytes under it.
    const top = value(await files({}));
    expect(top).toMatchObject({ source: 'share', kind: 'tree', path: '', total: 4 });
    expect(top.entries.map((e) => [e.name, e.type, e.files, e.size])).toEqual([
      ['docs', 'dir', 12, 45_000 + (2 << 20) + 10 * 100_000],
      ['empty', 'dir', 0, 0],
      ['link', 'symlink', 0, 0],
      ['Ünïcødé.txt', 'file', 1, 13],
    ]);
    const docs = value(await files({ path: '/docs/' }));
    expect(docs.path).toBe('docs');
    expect(docs.entries.map((e) => e.path)).toEqual([
      'docs/deep',
      ...Array.from({ length: 10 }, (_, i) => `docs/f${i}.dat`),
      'docs/readme.txt',
    ]);
    expect(docs.entries[0]).toMatchObject({ type: 'dir', files: 1, size: 2 << 20 });
    expect(value(await files({ path: 'docs', limit: 3 }))).toMatchObject({
      total: 12,
      entries: [{ name: 'deep' }, { name: 'f0.dat' }, { name: 'f1.dat' }],
    });
    expect(value(await files({ source: 'disk.img' }))).toMatchObject({
      kind: 'image',
      total: 1,
      entries: [{ name: 'disk.img', type: 'file', size: 100_000 }],
    });

    // What people get wrong.
    expect(error(await files({ path: 'docs/readme.txt' }))).toMatchObject({
      code: 'invalid_input',
      message: 'path: docs/readme.txt in share is a file, not a folder.',
    });
    expect(error(await files({ path: 'nope' }))).toMatchObject({
      code: 'not_found',
      message: `Backup ${b.id} has no folder "nope" in share.`,
    });
    expect(error(await files({ source: 'shares' }))).toMatchObject({
      code: 'not_found',
      hint: 'Its sources are: share, other, disk.img.',
    });
    expect(error(await files({ source: 'disk.img', path: 'a' }))).toMatchObject({ code: 'invalid_input' });

    // A path (slashes around it are ignored) restores from every source holding it, and from no other.
    const out = path.join(tempHome(), 'out');
    const restore = value(await engine.call('backups.restore', { id: b.id, to: out, path: '/docs/deep/' }));
    expect((await engine.runner.wait(restore.id, 60_000)).status).toBe('succeeded');
    expect(fs.readdirSync(out)).toEqual(['share']);
    const restored = describeTree(path.join(out, 'share'));
    const original = describeTree(share);
    expect(Object.keys(restored)).toEqual(['docs', 'docs/deep', 'docs/deep/random.bin']);
    for (const p of ['docs/deep', 'docs/deep/random.bin']) expect(restored[p], p).toBe(original[p]);
    const missing = value(
      await engine.call('backups.restore', { id: b.id, to: path.join(tempHome(), 'out2'), path: 'nope' }),
    );
    expect(await engine.runner.wait(missing.id, 60_000)).toMatchObject({
      status: 'failed',
      resumable: false,
      error: { code: 'not_found', message: `Backup ${b.id} has no path "nope" in share, other, disk.img.` },
    });
  }, 120_000);

  // How long the main event loop stalls during such a backup and restore is a figure of `npm run bench`, not a test.
  it('backs up and restores large files that span many packs byte for byte', async () => {
    const engine = openWithService();
    const src = path.join(tempHome('lifeboat-src-'), 'big');
    fs.mkdirSync(src);
    const key = crypto.randomBytes(32);
    const sums: Record<string, string> = {};
    for (let i = 0; i < 4; i++) {
      const noise = crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16, i)).update(Buffer.alloc(12 << 20));
      const data = Buffer.concat([noise, Buffer.alloc(4 << 20, i)]);
      fs.writeFileSync(path.join(src, `f${i}.bin`), data);
      sums[`f${i}.bin`] = crypto.createHash('sha256').update(data).digest('hex');
    }
    expect((await engine.call('accounts.add', { name: 'lab', local: path.join(tempHome(), 'acct') })).ok).toBe(true);
    const created = await engine.call('backups.create', { account: 'lab', source: [src] });
    const job = (created as { ok: true; value: Job }).value;
    expect((await engine.runner.wait(job.id, 300_000)).status).toBe('succeeded');
    const [b] = ((await engine.call('backups.list', {})) as { ok: true; value: Array<{ id: string; bytes: number }> })
      .value;
    expect(b.bytes).toBe(64 << 20);
    const out = path.join(tempHome(), 'out');
    const restored = await engine.call('backups.restore', { id: b.id, to: out });
    const rjob = (restored as { ok: true; value: Job }).value;
    expect((await engine.runner.wait(rjob.id, 300_000)).status).toBe('succeeded');
    const back: Record<string, string> = {};
    for (const f of fs.readdirSync(path.join(out, 'big')))
      back[f] = crypto
        .createHash('sha256')
        .update(fs.readFileSync(path.join(out, 'big', f)))
        .digest('hex');
    expect(back).toEqual(sums);
  }, 300_000);

  // The main event loop's longest stall during each of these is a figure of `npm run bench` (test/bench/event-loop.ts).
  it('check, prune and rebuild-catalog take a 200 000-file backup whole', async () => {
    const engine = openWithService();
    const share = path.join(tempHome('lifeboat-src-'), 'share');
    makeShare(share);
    expect((await engine.call('accounts.add', { name: 'lab', local: path.join(tempHome(), 'acct') })).ok).toBe(true);
    const job = (await engine.call('backups.create', { account: 'lab', source: [share] })) as { ok: true; value: Job };
    expect((await engine.runner.wait(job.value.id, 120_000)).status).toBe('succeeded');
    // A large backup without reading 200 000 files: a manifest whose files reuse the chunks the real backup stored.
    // Built in a function so none of it stays reachable (and weighs on the main thread's GC) while measuring.
    const repo = await engine.accounts.repository(engine.accounts.store.byName('lab')!, { loadIndex: false });
    const files = 200_000;
    const big = await (async () => {
      const [real] = (await loadAllSnapshots(repo)).manifests;
      const chunks = real.sources.flatMap((s) => (s.kind === 'tree' ? s.entries.flatMap((e) => e.chunks ?? []) : []));
      const entries = Array.from({ length: files }, (_, i) => ({
        path: `d${Math.floor(i / 1000)}/file-${i}.bin`,
        type: 'file' as const,
        mode: 0o644,
        mtimeMs: 1.7e12 + i,
        size: 1000 + i,
        uid: 0,
        gid: 0,
        ino: i,
        chunks: [chunks[i % chunks.length]],
      }));
      const bytes = entries.reduce((n, e) => n + e.size, 0);
      const m: SnapshotManifest = {
        ...real,
        id: newSnapshotId(),
        time: new Date(Date.parse(real.time) + 1000).toISOString(),
        parent: real.id,
        sources: [{ name: 'big', kind: 'tree', path: '/big', entries }],
        stats: { ...real.stats, files, bytes },
      };
      await saveSnapshot(repo, m);
      return { id: m.id, bytes };
    })();
    const bytes = big.bytes;

    const rebuilt = await engine.call('accounts.rebuildCatalog', { name: 'lab' });
    expect(rebuilt).toMatchObject({ ok: true, value: { backups: 2, added: 1, removed: 0, damaged: [] } });
    // The catalog row of the big backup, per-source totals included, is what the whole manifest gives.
    const shown = (await engine.call('backups.show', { id: big.id })) as {
      ok: true;
      value: { files: number; sources: unknown[] };
    };
    expect(shown.value).toMatchObject({ files, sources: [{ name: 'big', kind: 'tree', path: '/big', files, bytes }] });
    const started = (await engine.call('accounts.check', { name: 'lab', readData: false })) as { ok: true; value: Job };
    const checked = await engine.runner.wait(started.value.id, 120_000);
    expect(checked.status).toBe('succeeded');
    expect(checked.message).toContain('2 backups');
    const pruned = await engine.call('backups.prune', { account: 'lab', keepLast: 2 });
    expect(pruned).toMatchObject({ ok: true, value: { removed: [], packsDeleted: 0 } });
  }, 180_000);

  it('a re-run after a crash between saving the manifest and checkpointing it adopts that manifest, never a second', async () => {
    const engine = openWithService();
    const share = path.join(tempHome('lifeboat-src-'), 'share');
    makeShare(share);
    const acct = path.join(tempHome(), 'acct');
    expect((await engine.call('accounts.add', { name: 'lab', local: acct })).ok).toBe(true);
    const row = engine.accounts.store.byName('lab')!;
    const params: BackupParams = {
      accountId: row.id,
      accountName: 'lab',
      sources: [{ name: 'share', path: share, kind: 'tree' }],
    };
    const kind = backupJob(engine.accounts);
    const ctxOf = (state: Record<string, unknown>) => stepContext(engine, 'job-rerun', params, state);
    const run = async (state: Record<string, unknown>) => {
      for (const step of kind.steps) await step.run(ctxOf(state) as never);
      return state;
    };
    // First run: the target id is checkpointed before the worker starts, and the manifest is saved under it.
    const first = await run({});
    expect(first.targetId).toMatch(/\w+/);
    expect(first.snapshotId).toBe(first.targetId);
    expect(fs.readdirSync(path.join(acct, 'snapshots'))).toEqual([first.targetId]);
    // The crash: the manifest was saved, but the checkpoint of `snapshotId` never committed. The re-run adopts it.
    const again = await run({ targetId: first.targetId, previousId: null });
    expect(again.snapshotId).toBe(first.targetId);
    expect(fs.readdirSync(path.join(acct, 'snapshots'))).toEqual([first.targetId]);
    const listed = (await engine.call('backups.list', {})) as { ok: true; value: Array<{ id: string }> };
    expect(listed.value.map((b) => b.id)).toEqual([first.targetId]);
  }, 120_000);

  it('two backups started at once with no account share one creation of the default account', async () => {
    const engine = openWithService();
    const share = path.join(tempHome('lifeboat-src-'), 'share');
    makeShare(share);
    const results = await Promise.all([
      engine.call('backups.create', { source: [share] }),
      engine.call('backups.create', { source: [share], label: 'second' }),
    ]);
    for (const r of results) expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
    for (const r of results)
      expect((await engine.runner.wait((r as { ok: true; value: Job }).value.id, 120_000)).status).toBe('succeeded');
    expect(engine.accounts.list().map((a) => a.name)).toEqual(['default']);
    const listed = (await engine.call('backups.list', {})) as { ok: true; value: Array<{ account: string }> };
    expect(listed.value.map((b) => b.account)).toEqual(['default', 'default']);
  }, 120_000);
});
