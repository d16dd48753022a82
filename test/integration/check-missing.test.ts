/**
 * Missing and damaged pieces of a storage account, and a full data directory, as a user meets them through the CLI:
 * check compares the catalog with the account, list marks unreadable backups, damage is told from a wrong key, a lost
 * index is rebuilt from the packs, and failures that a retry cannot mend offer no resume.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeConfig } from '../../main/engine/repo/config';
import { FORMAT_VERSION } from '../../main/engine/repo/crypto';
import { Repository } from '../../main/engine/repo/repository';
import { LocalBackend } from '../../main/engine/storage/local';
import { buildMain, cli, ok, tempHome } from '../helpers/home';

interface JobJson {
  id: string;
  status: string;
  resumable: boolean;
  error?: { code: string; message: string; hint?: string };
}
interface BackupJson {
  id: string;
  problem: string | null;
}

const mounts: string[] = [];
beforeAll(() => buildMain(), 120_000);
afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
});

const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function setup(home = tempHome()) {
  ok(cli(home, ['service', 'init', '--name', 'Lab', '--json']));
  const account = path.join(tempHome('lifeboat-acct-'), 'acct');
  ok(cli(home, ['account', 'add', 'lab', '--local', account, '--json']));
  const src = path.join(tempHome('lifeboat-src-'), 'share');
  fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(src, 'a.bin'), crypto.randomBytes(300_000));
  fs.writeFileSync(path.join(src, 'sub', 'b.txt'), 'hello');
  return { home, account, src };
}

/** Backs up `src` and returns the new backup's id. */
function backup(home: string, src: string): string {
  const before = new Set(
    ok(cli(home, ['backup', 'list', '--json']))
      .json<BackupJson[]>()
      .map((b) => b.id),
  );
  ok(cli(home, ['backup', 'create', '--account', 'lab', '--source', src, '--json']));
  return ok(cli(home, ['backup', 'list', '--json']))
    .json<BackupJson[]>()
    .find((b) => !before.has(b.id))!.id;
}

const list = (home: string) =>
  new Map(
    ok(cli(home, ['backup', 'list', '--json']))
      .json<BackupJson[]>()
      .map((b) => [b.id, b.problem]),
  );

describe('check and restore of missing or damaged backups', () => {
  it('a backup whose manifest was deleted: check names it, list marks it, its restore fails for good', () => {
    const { home, account, src } = setup();
    const gone = backup(home, src);
    const kept = backup(home, src);
    fs.rmSync(path.join(account, 'snapshots', gone));

    const check = cli(home, ['account', 'check', 'lab', '--json']);
    expect(check.code).toBe(1);
    const job = check.json<JobJson>();
    expect(job.status).toBe('failed');
    expect(job.error?.message).toContain(`missing-snapshot snapshots/${gone}`);
    expect(job.error?.message).toContain(`Affects backup ${gone}`);
    expect(job.error?.message).not.toContain(kept);
    expect(job.error?.hint).toContain('lifeboat account rebuild-catalog lab');

    const problems = list(home);
    expect(problems.get(gone)).toMatch(/manifest .*missing/);
    expect(problems.get(kept)).toBeNull();
    expect(ok(cli(home, ['backup', 'list'])).stdout).toMatch(new RegExp(`${gone}.*missing`));

    const restore = cli(home, ['backup', 'restore', gone, '--to', path.join(tempHome(), 'out'), '--json']);
    expect(restore.code).toBe(1);
    expect(restore.json<JobJson>()).toMatchObject({ status: 'failed', resumable: false, error: { code: 'not_found' } });
    const text = cli(home, ['backup', 'restore', gone, '--to', path.join(tempHome(), 'out')]);
    expect(text.code).toBe(1);
    expect(text.stdout + text.stderr).toContain(`There is no backup ${gone} in the storage account`);
    expect(text.stdout + text.stderr).not.toContain('Resume it with');
  });

  it('a damaged manifest: the restore offers no resume, and check marks the backup in the list', () => {
    const { home, account, src } = setup();
    const id = backup(home, src);
    const file = path.join(account, 'snapshots', id);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 5] ^= 0xff;
    fs.writeFileSync(file, bytes);

    const text = cli(home, ['backup', 'restore', id, '--to', path.join(tempHome(), 'out')]);
    expect(text.code).toBe(1);
    expect(text.stdout + text.stderr).toContain(`The manifest of backup ${id} is damaged`);
    expect(text.stdout + text.stderr).not.toContain('Resume it with');
    expect(cli(home, ['account', 'check', 'lab', '--json']).json<JobJson>().error?.message).toContain(
      `damaged-snapshot snapshots/${id}`,
    );
    expect(list(home).get(id)).toMatch(/damaged/);
  });

  it('damage found by reading every pack stays marked after a structure-only check, which cannot see it', () => {
    const { home, account, src } = setup();
    const id = backup(home, src);
    const [sub] = fs.readdirSync(path.join(account, 'data'));
    const [pack] = fs.readdirSync(path.join(account, 'data', sub));
    const file = path.join(account, 'data', sub, pack);
    const bytes = fs.readFileSync(file);
    bytes[100] ^= 0xff;
    fs.writeFileSync(file, bytes);
    expect(cli(home, ['account', 'check', 'lab', '--read-data', '--json']).code).toBe(1);
    expect(list(home).get(id)).toMatch(/file\(s\) need damaged or missing data \(found reading all data\)/);
    expect(ok(cli(home, ['account', 'check', 'lab', '--json'])).json<JobJson>().status).toBe('succeeded');
    expect(list(home).get(id)).toMatch(/found reading all data/);
  });

  it('deleted index objects: check says which pack lost its index, and a restore rebuilds it from the packs', () => {
    const { home, account, src } = setup();
    const id = backup(home, src);
    for (const f of fs.readdirSync(path.join(account, 'index'))) fs.rmSync(path.join(account, 'index', f));

    const check = cli(home, ['account', 'check', 'lab', '--json']).json<JobJson>();
    expect(check.error?.message).toMatch(/unindexed-pack data\/[0-9a-f]{2}\/[0-9a-f]{64}: .*no index object/);
    expect(check.error?.message).toContain(`Affects backup ${id} share/a.bin`);

    const out = path.join(tempHome(), 'out');
    const restore = cli(home, ['backup', 'restore', id, '--to', out, '--json']);
    expect(restore.code, restore.stdout).toBe(0);
    expect(sha(path.join(out, 'share', 'a.bin'))).toBe(sha(path.join(src, 'a.bin')));
    expect(fs.readFileSync(path.join(out, 'share', 'sub', 'b.txt'), 'utf8')).toBe('hello');
    // The restore wrote the rebuilt index back, so the account is whole again.
    expect(ok(cli(home, ['account', 'check', 'lab', '--json'])).json<JobJson>().status).toBe('succeeded');
  });
});

describe('damaged or lost index objects', () => {
  it('a damaged index object: check names it, a restore rebuilds the index from the packs and drops it', () => {
    const { home, account, src } = setup();
    const id = backup(home, src);
    const [name] = fs.readdirSync(path.join(account, 'index'));
    const file = path.join(account, 'index', name);
    const bytes = fs.readFileSync(file);
    bytes[20] ^= 0xff;
    fs.writeFileSync(file, bytes);

    const check = cli(home, ['account', 'check', 'lab', '--json']).json<JobJson>();
    expect(check.error?.message).toContain(`damaged-index index/${name}: The index object index/${name} is damaged.`);
    expect(check.error?.message).toMatch(/unindexed-pack data\//);
    expect(check.error?.hint).toContain('rebuilt from the packs by the next restore');

    const out = path.join(tempHome(), 'out');
    ok(cli(home, ['backup', 'restore', id, '--to', out, '--json']));
    expect(sha(path.join(out, 'share', 'a.bin'))).toBe(sha(path.join(src, 'a.bin')));
    expect(fs.existsSync(file)).toBe(false);
    expect(ok(cli(home, ['account', 'check', 'lab', '--json'])).json<JobJson>().status).toBe('succeeded');
  });

  it('a prune after the index objects were deleted keeps the packs the kept backups need', () => {
    const { home, account, src } = setup();
    backup(home, src);
    const id = backup(home, src);
    for (const f of fs.readdirSync(path.join(account, 'index'))) fs.rmSync(path.join(account, 'index', f));
    ok(cli(home, ['backup', 'prune', '--account', 'lab', '--keep-last', '1', '--yes', '--json']));
    const out = path.join(tempHome(), 'out');
    const r = cli(home, ['backup', 'restore', id, '--to', out, '--json']);
    expect(r.code, r.stdout).toBe(0);
    expect(sha(path.join(out, 'share', 'a.bin'))).toBe(sha(path.join(src, 'a.bin')));
  });

  it('index objects and packs both gone: the restore fails for good with damaged, naming the chunk and the next step', () => {
    const { home, account, src } = setup();
    const id = backup(home, src);
    for (const dir of ['index', 'data']) fs.rmSync(path.join(account, dir), { recursive: true });
    fs.mkdirSync(path.join(account, 'index'));
    fs.mkdirSync(path.join(account, 'data'));
    const r = cli(home, ['backup', 'restore', id, '--to', path.join(tempHome(), 'out'), '--json']);
    expect(r.code).toBe(1);
    const job = r.json<JobJson>();
    expect(job).toMatchObject({ status: 'failed', resumable: false, error: { code: 'damaged' } });
    expect(job.error?.message).toMatch(/The chunk [0-9a-f]{16}… is damaged: it is not in the index/);
    expect(job.error?.hint).toContain('lifeboat account check');
  });
});

describe('a damaged config is not a wrong key', () => {
  it('one byte changed anywhere in config: the right key opens it or is told it is damaged, never "wrong key"', async () => {
    const dir = path.join(tempHome('lifeboat-config-'), 'acct');
    const sdek = crypto.randomBytes(32);
    const created = await Repository.init(await LocalBackend.open(dir, { create: true }), sdek);
    const file = path.join(dir, 'config');
    const intact = fs.readFileSync(file);
    const backend = await LocalBackend.open(dir);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < intact.length; i++) {
      const bytes = Buffer.from(intact);
      bytes[i] = bytes[i] === 0x41 ? 0x42 : 0x41; // 'A' or 'B': valid JSON, base64 and hex characters alike
      fs.writeFileSync(file, bytes);
      const right = await Repository.open(backend, sdek, { loadIndex: false }).then(
        (r) => (r.config.id === created.config.id ? 'opens' : 'another id'),
        (e: { code?: string }) => e.code ?? 'untyped',
      );
      outcomes.set(right, (outcomes.get(right) ?? 0) + 1);
      expect(['opens', 'damaged'], `byte ${i} (${String.fromCharCode(intact[i])})`).toContain(right);
      const wrong = await Repository.open(backend, crypto.randomBytes(32), { loadIndex: false }).then(
        () => 'opens',
        (e: { code?: string }) => e.code,
      );
      expect(['bad_key', 'damaged'], `byte ${i} with another key`).toContain(wrong);
    }
    expect(outcomes.get('damaged')).toBeGreaterThan(intact.length / 2);
    fs.writeFileSync(file, intact);
    await expect(Repository.open(backend, crypto.randomBytes(32), { loadIndex: false })).rejects.toMatchObject({
      code: 'bad_key',
    });
  });

  it('a repository of a newer format is still refused with "update Lifeboat", not read as damaged', async () => {
    const dir = path.join(tempHome('lifeboat-config-'), 'acct');
    const sdek = crypto.randomBytes(32);
    const repo = await Repository.init(await LocalBackend.open(dir, { create: true }), sdek);
    const newer = {
      ...JSON.parse(encodeConfig(repo.keys, { ...repo.config, format: FORMAT_VERSION + 1 }).toString('utf8')),
      format: FORMAT_VERSION + 1,
    };
    fs.writeFileSync(path.join(dir, 'config'), JSON.stringify(newer));
    await expect(Repository.open(await LocalBackend.open(dir), sdek, { loadIndex: false })).rejects.toMatchObject({
      code: 'not_allowed',
      hint: 'Update Lifeboat.',
    });
  });

  it('through the CLI: a byte of the sealed configuration changed gives "damaged" with what to do', () => {
    const { home, account } = setup();
    const file = path.join(account, 'config');
    const bytes = fs.readFileSync(file);
    const at = bytes.length - 20;
    bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
    fs.writeFileSync(file, bytes);
    const r = cli(home, ['account', 'check', 'lab', '--json']);
    expect(r.code).toBe(1);
    const error = r.json<JobJson>().error!;
    expect(error.code).toBe('damaged');
    expect(error.message).toContain(`The configuration of the storage account at ${account} is damaged`);
    expect(error.message).toContain('the key is right');
    expect(error.hint).toMatch(/config/);
  });
});

describe('a full data directory', () => {
  it('fails with disk_full naming the directory and what to free, then works once there is room', () => {
    const home = tempHome('lifeboat-full-');
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', home]);
    if (mounted.status !== 0)
      throw new Error(`this test needs a small tmpfs (run as root): mount -t tmpfs was refused: ${mounted.stderr}`);
    mounts.push(home);
    const { src } = setup(home);
    const filler = path.join(home, 'filler');
    // Whatever is left (a little, or nothing), the command fails with disk_full and ends.
    for (const left of [0, 8, 24, 64]) {
      fs.rmSync(filler, { force: true });
      const free = Number(fs.statfsSync(home).bavail) * Number(fs.statfsSync(home).bsize);
      fs.writeFileSync(filler, Buffer.alloc(Math.max(0, free - left * 1024)));
      const r = cli(home, ['backup', 'create', '--account', 'lab', '--source', src, '--json']);
      expect(r.code, `${left} KiB left: ${r.stdout}${r.stderr}`).toBe(1);
      const out = r.json<{ error?: JobJson['error'] } & Partial<JobJson>>();
      expect(out.error?.code, `${left} KiB left: ${r.stdout}`).toBe('disk_full');
      expect(out.error?.message).toContain(home);
      expect(out.error?.hint).toMatch(/Free space/);
    }
    fs.rmSync(filler);
    ok(cli(home, ['backup', 'create', '--account', 'lab', '--source', src, '--json']));
    expect(ok(cli(home, ['backup', 'list', '--json'])).json<BackupJson[]>().length).toBeGreaterThanOrEqual(1);
  }, 600_000);
});
