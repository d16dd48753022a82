import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { contract } from '../../main/shared/contract';
import { Engine } from '../../main/engine/engine';
import { cli, tempHome, buildMain } from '../helpers/home';

const output = <N extends keyof typeof contract>(name: N, text: string) =>
  contract[name].output.parse(JSON.parse(text)) as z.output<(typeof contract)[N]['output']>;

let engine: Engine | null = null;
afterEach(async () => {
  await engine?.close();
  engine = null;
});

beforeAll(() => {
  buildMain();
}, 120_000);

function initService(home: string): string {
  const r = cli(home, ['service', 'init', '--name', 'Lab', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return output('service.init', r.stdout).sdek;
}

describe('storage accounts through the CLI', () => {
  it('adds a local account (probe + new repository), lists, shows, tests and removes it', () => {
    const home = tempHome();
    initService(home);
    const folder = path.join(tempHome('lifeboat-acct-'), 'new', 'acct');
    const added = cli(home, ['account', 'add', 'lab', '--local', folder, '--json']);
    expect(added.code, added.stderr).toBe(0);
    const value = output('accounts.add', added.stdout);
    expect(value).toMatchObject({
      repositoryCreated: true,
      backupsFound: 0,
      account: { name: 'lab', kind: 'local', location: folder, backups: 0 },
    });
    expect(value.probe.ok).toBe(true);
    expect(value.probe.latencyMs).toBeGreaterThan(0);
    expect(value.probe.writeBytesPerSecond).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(folder, 'config'))).toBe(true);

    const list = output('accounts.list', cli(home, ['account', 'list', '--json']).stdout);
    expect(list.map((a) => a.name)).toEqual(['lab']);
    expect(cli(home, ['account', 'list']).stdout).toMatch(/^NAME\s+KIND\s+LOCATION.*\nlab\s+local\s+/);
    expect(output('accounts.show', cli(home, ['account', 'show', 'lab', '--json']).stdout).lastProbe?.ok).toBe(true);
    const tested = cli(home, ['account', 'test', 'lab', '--json']);
    expect(tested.code, tested.stderr).toBe(0);
    expect(output('accounts.test', tested.stdout).readBytesPerSecond).toBeGreaterThan(0);

    const dup = cli(home, ['account', 'add', 'LAB', '--local', tempHome()]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('error (already_exists): There is already a storage account named "LAB".');

    expect(cli(home, ['account', 'remove', 'lab', '--yes', '--json']).code).toBe(0);
    expect(output('accounts.list', cli(home, ['account', 'list', '--json']).stdout)).toEqual([]);
    expect(fs.existsSync(path.join(folder, 'config'))).toBe(true); // forgetting an account keeps its data
    const gone = cli(home, ['account', 'show', 'lab']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('There is no storage account "lab".');
  });

  it('gives clear errors: no service, a file instead of a folder, a folder holding other data, contradictory flags', () => {
    const home = tempHome();
    const early = cli(home, ['account', 'add', 'x', '--local', tempHome()]);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('error (not_initialized)');
    initService(home);
    const file = path.join(tempHome(), 'a-file');
    fs.writeFileSync(file, 'x');
    const notFolder = cli(home, ['account', 'add', 'x', '--local', file]);
    expect(notFolder.code).toBe(2);
    expect(notFolder.stderr).toContain(
      `error (invalid_input): ${file} is not a folder.\nhint: Choose a folder for the storage account.`,
    );
    const busy = tempHome();
    fs.writeFileSync(path.join(busy, 'thesis.docx'), 'mine');
    const other = cli(home, ['account', 'add', 'x', '--local', busy]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(
      `error (conflict): The folder ${busy} is not empty and holds no Lifeboat repository.`,
    );
    const both = cli(home, [
      'account',
      'add',
      'x',
      '--local',
      tempHome(),
      '--azure',
      '--container',
      'c',
      '--connection-string',
      'UseDevelopmentStorage=true',
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--local: an account is either --local DIR or --azure, not both.');
    const noCred = cli(home, ['account', 'add', 'x', '--azure', '--container', 'c']);
    expect(noCred.code).toBe(2);
    expect(noCred.stderr).toContain('give exactly one of --connection-string');
    expect(output('accounts.list', cli(home, ['account', 'list', '--json']).stdout)).toEqual([]);
  });

  it('reports an unreachable Azure endpoint with the URL tried, and never stores or prints the key', async () => {
    const home = tempHome();
    initService(home);
    const key = Buffer.from('not-a-real-key-' + crypto.randomBytes(8).toString('hex')).toString('base64');
    const r = cli(home, [
      'account',
      'add',
      'az',
      '--account-name',
      'devstoreaccount1',
      '--account-key',
      key,
      '--endpoint',
      'http://127.0.0.1:9/devstoreaccount1',
      '--container',
      'backups',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const error = JSON.parse(r.stdout).error as { code: string; message: string };
    expect(error.message).toContain('127.0.0.1:9');
    expect(r.stdout + r.stderr).not.toContain(key);
    const log = fs.readFileSync(path.join(home, 'logs', 'lifeboat.log'), 'utf8');
    expect(log).not.toContain(key);
    expect(output('accounts.list', cli(home, ['account', 'list', '--json']).stdout)).toEqual([]);
  });
});

describe('storage accounts through the engine', () => {
  it('keeps credentials in the secret store, never in the table', async () => {
    const home = tempHome();
    engine = Engine.open({ dataDir: home, mode: 'cli' });
    engine.service.init('Lab');
    // Insert an Azure row directly: adding one needs a reachable endpoint (covered by the Azurite tests).
    engine.accounts.store.insert(
      {
        id: 'acct-1',
        name: 'az',
        kind: 'azure',
        location: 'https://x.blob.core.windows.net/c',
        container: 'c',
        auth: 'account-key',
        endpoint: null,
        account_name: 'x',
        repository_id: 'r',
        created_at: 'now',
        updated_at: 'now',
        probe_at: null,
        probe_ok: null,
        probe_latency_ms: null,
        probe_write_bps: null,
        probe_read_bps: null,
        probe_error: null,
      },
      { accountName: 'x', accountKey: 'SECRET-KEY-VALUE' },
    );
    const row = JSON.stringify(engine.db.prepare('SELECT * FROM storage_accounts').all());
    expect(row).not.toContain('SECRET-KEY-VALUE');
    expect(engine.accounts.store.spec(engine.accounts.store.require('az'))).toMatchObject({
      kind: 'azure',
      accountName: 'x',
      accountKey: 'SECRET-KEY-VALUE',
      container: 'c',
    });
    const shown = await engine.call('accounts.show', { name: 'az' });
    expect(JSON.stringify(shown)).not.toContain('SECRET-KEY-VALUE');
    expect(engine.secretValues()).toContain('SECRET-KEY-VALUE');
    expect((await engine.call('accounts.remove', { name: 'az' })).ok).toBe(true);
    expect(engine.secretValues()).not.toContain('SECRET-KEY-VALUE');
  });

  it('creates the embedded default account in the data directory on the first backup without --account', async () => {
    const home = tempHome();
    engine = Engine.open({ dataDir: home, mode: 'cli', runJobs: true });
    engine.service.init('Lab');
    const src = path.join(tempHome(), 'docs');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'a.txt'), 'hello');
    const started = await engine.call('backups.create', { source: [src] });
    expect(started.ok).toBe(true);
    const job = started.ok ? started.value : null;
    expect((await engine.runner.wait(job!.id, 30_000)).status).toBe('succeeded');
    const accounts = await engine.call('accounts.list', {});
    expect(accounts).toMatchObject({
      ok: true,
      value: [{ name: 'default', kind: 'local', location: path.join(home, 'accounts', 'default'), backups: 1 }],
    });
  });
});
