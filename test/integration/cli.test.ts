import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { contract } from '../../main/shared/contract';
import { cli, ROOT, startWeb, tempHome, type WebApp } from '../helpers/home';

const output = <N extends keyof typeof contract>(name: N, text: string) =>
  contract[name].output.parse(JSON.parse(text)) as z.output<(typeof contract)[N]['output']>;
const apps: WebApp[] = [];
afterAll(async () => {
  for (const a of apps) await a.stop();
});

describe('lifeboat CLI', () => {
  it('runs as `npx lifeboat` from the repository root', () => {
    const home = tempHome();
    const r = spawnSync('npx', ['lifeboat', 'status', '--json', '--home', home], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const status = output('status.get', r.stdout);
    expect(status.dataDir).toBe(home);
    expect(status.service).toBeNull();
    expect(status.app).toBeNull();
  });

  it('creates a service, prints the SDEK once, and joins another installation with --sdek-file', () => {
    const home = tempHome();
    const created = cli(home, ['service', 'init', '--name', 'Lab DR', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const value = output('service.init', created.stdout);
    expect(value.service.name).toBe('Lab DR');
    expect(cli(home, ['service', 'show', '--json']).stdout).not.toContain(value.sdek);

    const human = cli(tempHome(), ['service', 'init', '--name', 'Human']);
    expect(human.stdout).toMatch(/Service data encryption key \(SDEK\): [0-9A-Z-]{65}/);
    expect(human.stdout).toContain('shown only this once');

    const confirm = cli(home, ['service', 'confirm-key', value.sdek.slice(-4), '--json']);
    expect(output('service.confirmSdek', confirm.stdout).sdekConfirmed).toBe(true);

    const keyFile = path.join(tempHome(), 'sdek.txt');
    fs.writeFileSync(keyFile, `${value.sdek}\n`);
    const other = tempHome();
    const joined = cli(other, ['service', 'join', '--sdek-file', keyFile, '--name', 'Lab DR', '--json']);
    expect(joined.code, joined.stderr).toBe(0);
    expect(output('service.join', joined.stdout).sdekFingerprint).toBe(value.service.sdekFingerprint);

    fs.writeFileSync(keyFile, 'ABCDE-FGHJK');
    const bad = cli(tempHome(), ['service', 'join', '--sdek-file', keyFile]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /error \(invalid_input\): The service data encryption key must have 55 characters \(without hyphens\); this one has 10\.\nhint: Paste the key/,
    );
  });

  it('exits non-zero with the error code and message, and "did you mean" for typos', () => {
    const home = tempHome();
    const unknown = cli(home, ['jobs', 'lst']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Did you mean `jobs list`?');
    const missing = cli(home, ['jobs', 'show', 'job-nope', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({
      ok: false,
      error: { code: 'not_found', message: 'There is no job job-nope.' },
    });
    const noService = cli(home, ['service', 'registration-key']);
    expect(noService.code).toBe(1);
    expect(noService.stderr).toMatch(/error \(not_initialized\): No service is set up yet\.\nhint: /);
  });

  it('follows a job it starts to the end, and lists it with --json', () => {
    const home = tempHome();
    const run = cli(home, ['selftest', '--size-mib', '8']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\[#+\]\s+100%/);
    expect(run.stdout).toMatch(/Self-test \(8 MiB\) job-[0-9a-f]+: succeeded/);
    const list = output('jobs.list', cli(home, ['jobs', 'list', '--json']).stdout);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ type: 'selftest', status: 'succeeded', progress: 1 });
    const diag = cli(home, ['diagnostics', '--out', path.join(home, 'bundle.json'), '--json']);
    expect(output('diagnostics.collect', diag.stdout).integrity).toBe('ok');
  });

  it('talks to the running app through its local socket, so the app runs the job', async () => {
    const home = tempHome();
    const app = await startWeb(home);
    apps.push(app);
    const status = output('status.get', cli(home, ['status', '--json']).stdout);
    expect(status.app).toMatchObject({ mode: 'web', pid: app.proc.pid, url: `http://127.0.0.1:${app.port}/` });
    const detached = cli(home, ['selftest', '--size-mib', '4', '--detach', '--json']);
    const job = output('jobs.selftest', detached.stdout);
    const waited = cli(home, ['jobs', 'wait', job.id, '--json']);
    expect(waited.code).toBe(0);
    expect(output('jobs.wait', waited.stdout).status).toBe('succeeded');
    const second = spawnSync(process.execPath, [path.join(ROOT, 'dist/main/web.cjs'), '--home', home, '--no-open'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(
      `Lifeboat is already running on the data directory ${home} (pid ${app.proc.pid} in web mode at http://127.0.0.1:${app.port}/`,
    );
  });
});

describe('console history', () => {
  it('keeps commands across runs with secret values masked', () => {
    const home = tempHome();
    expect(cli(home, ['history', 'add', 'service join --sdek ABCDE-12345']).code).toBe(0);
    expect(cli(home, ['history', 'add', 'jobs list']).code).toBe(0);
    expect(output('history.list', cli(home, ['history', '--json']).stdout)).toEqual([
      'service join --sdek ***',
      'jobs list',
    ]);
    expect(cli(home, ['history']).stdout).toBe('    1  service join --sdek ***\n    2  jobs list\n');
  });
});

describe('lifeboat run', () => {
  it('runs a script file from the shell and reports the failing line', () => {
    const home = tempHome();
    const script = path.join(home, 'setup.lifeboat');
    fs.writeFileSync(script, '# set up the lab\nservice init --name "Lab DR"\nservice show --json\njobs shw\nstatus\n');
    const r = cli(home, ['run', script]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Service "Lab DR" created');
    expect(r.stdout).toContain('"name": "Lab DR"');
    expect(r.stderr).toContain('Did you mean `jobs show`?');
    expect(r.stderr).toContain(`${script}:4: stopped at this line`);
    expect(r.stdout).not.toContain('dataDir');
    const all = cli(home, ['run', script, '--keep-going']);
    expect(all.code).toBe(2);
    expect(all.stdout).toContain('dataDir');
    expect(cli(home, ['script', 'show', script]).stdout).toContain('service init --name "Lab DR"');
  });
});
