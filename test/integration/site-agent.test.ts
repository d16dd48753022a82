/**
 * A recovery site on another host: `lifeboat agent serve` as a separate process on loopback, paired with
 * `site add --agent … --pairing-key …` (wrong and reused keys refused), tested, and used by replication unchanged:
 * protect a sparse disk and a folder to it, send deltas, and materialize every point byte-identical. Requests
 * without this installation's client certificate are refused, and so is an agent whose certificate is not the
 * pinned one. The pinned certificate and client key live in the secret store, not in plain SQLite.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSelfSigned } from '../../main/engine/sites/agent-tls';
import { buildMain, cli, ok, readDb, tempHome } from '../helpers/home';
import { age, BLOCK, makeDisk, materialize, writeAt } from '../helpers/replication-lab';
import { startAgent, type AgentProc } from '../helpers/site-agent';

beforeAll(buildMain, 120_000);

const agents: AgentProc[] = [];
afterAll(async () => {
  for (const a of agents) await a.stop('SIGKILL');
});

const mode = (p: string) => fs.statSync(p).mode & 0o777;

/** A raw HTTPS request to the agent, with the given client credentials or none. */
function raw(
  port: number,
  call: string,
  creds?: { key: string; cert: string },
): Promise<{ status: number; body: { ok: boolean; error?: { code: string; message: string; hint?: string } } }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/v1/${call}`,
        rejectUnauthorized: false,
        agent: false,
        ...creds,
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify([{ id: 'x', name: 'vm' }]));
  });
}

describe('site agent on loopback', () => {
  const home = tempHome();
  const root = path.join(tempHome('lifeboat-agent-'), 'dr');
  let agent: AgentProc;

  it('pairs once with the right key: a wrong key and a reused key are refused with what to do', async () => {
    agent = await startAgent(root, '127.0.0.1:0');
    agents.push(agent);
    expect(agent.pairingKey).toMatch(/^[0-9A-Z]{6}(-[0-9A-Z]{6}){3}$/);
    expect(mode(path.join(root, '.lifeboat-agent'))).toBe(0o700);
    for (const f of fs.readdirSync(path.join(root, '.lifeboat-agent')))
      expect(mode(path.join(root, '.lifeboat-agent', f)), f).toBe(0o600);

    const wrongKey = `${agent.pairingKey!.slice(0, -1)}${agent.pairingKey!.endsWith('0') ? '1' : '0'}`;
    const wrong = cli(home, ['site', 'add', 'dr', '--agent', agent.url, '--pairing-key', wrongKey, '--json']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.json<{ error: { code: string; message: string; hint: string } }>().error).toMatchObject({
      code: 'forbidden',
      message: 'The pairing key is wrong.',
    });
    expect(wrong.json<{ error: { hint: string } }>().error.hint).toContain('--new-pairing-key');
    const malformed = cli(home, ['site', 'add', 'dr', '--agent', agent.url, '--pairing-key', 'ABC', '--json']);
    expect(malformed.json<{ error: { code: string } }>().error.code).toBe('invalid_input');
    const noKey = cli(home, ['site', 'add', 'dr', '--agent', agent.url, '--json']);
    expect(noKey.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'invalid_input' });
    expect(noKey.json<{ error: { message: string } }>().error.message).toContain('--pairing-key');

    const site = ok(
      cli(home, [
        'site',
        'add',
        'dr',
        '--agent',
        agent.url,
        '--pairing-key',
        agent.pairingKey!.toLowerCase(),
        '--json',
      ]),
    ).json<Record<string, unknown>>();
    expect(site).toMatchObject({ name: 'dr', kind: 'agent', agent: agent.url, root });
    await agent.waitFor('paired with');

    const reused = cli(home, [
      'site',
      'add',
      'dr2',
      '--agent',
      agent.url,
      '--pairing-key',
      agent.pairingKey!,
      '--json',
    ]);
    expect(reused.code).not.toBe(0);
    expect(reused.json<{ error: { code: string; message: string; hint: string } }>().error).toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('already used'),
    });
    expect(reused.json<{ error: { hint: string } }>().error.hint).toContain('--new-pairing-key');
    expect(
      ok(cli(home, ['site', 'list', '--json']))
        .json<{ name: string }[]>()
        .map((s) => s.name),
    ).toEqual(['primary', 'dr']);

    // The pinned certificate and the client key are sealed in the secret store, never in plain SQLite.
    const db = fs.readFileSync(path.join(home, 'lifeboat.db'));
    expect(db.includes('BEGIN CERTIFICATE')).toBe(false);
    expect(db.includes('PRIVATE KEY')).toBe(false);
    expect(db.includes(agent.fingerprint)).toBe(false);
    expect(
      readDb(home, (d) => d.prepare("SELECT name FROM secrets WHERE name LIKE 'site-agent:%'").all()),
    ).toHaveLength(1);
  }, 120_000);

  it('site test reports latency, throughput and free space through the agent', () => {
    const probe = ok(cli(home, ['site', 'test', 'dr', '--json'])).json<{
      latencyMs: number;
      writeBytesPerSecond: number;
      readBytesPerSecond: number;
      free: number;
      total: number;
    }>();
    expect(probe.latencyMs).toBeGreaterThan(0);
    expect(probe.writeBytesPerSecond).toBeGreaterThan(0);
    expect(probe.readBytesPerSecond).toBeGreaterThan(0);
    expect(probe.free).toBeGreaterThan(0);
    expect(probe.total).toBeGreaterThanOrEqual(probe.free);
    expect(fs.readdirSync(path.join(root, '.lifeboat-agent')).filter((f) => f.startsWith('probe-'))).toEqual([]);
  }, 120_000);

  it('replicates a disk and a folder to the agent: only changed blocks, and every point materializes byte-identical', () => {
    const work = tempHome('lifeboat-src-');
    const disk = path.join(work, 'vm.img');
    makeDisk(disk, 4 << 20, [0, 1, 2]);
    age(disk);
    const folder = path.join(work, 'data');
    fs.mkdirSync(path.join(folder, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'a.txt'), 'first');
    fs.writeFileSync(path.join(folder, 'sub', 'b.bin'), crypto.randomBytes(300_000));
    age(path.join(folder, 'a.txt'));
    age(path.join(folder, 'sub', 'b.bin'));
    const snap = () => ({
      disk: fs.readFileSync(disk),
      a: fs.readFileSync(path.join(folder, 'a.txt')),
      b: fs.readFileSync(path.join(folder, 'sub', 'b.bin')),
    });

    ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s']));
    const first = snap();
    ok(
      cli(home, [
        'item',
        'protect',
        'vm',
        '--disk',
        disk,
        '--folder',
        folder,
        '--recovery-site',
        'dr',
        '--policy',
        'fast',
      ]),
    );
    const shown = ok(cli(home, ['item', 'show', 'vm', '--json'])).json<{
      disks: { replicaPath: string }[];
      folders: { replicaPath: string }[];
    }>();
    expect(shown.disks[0].replicaPath).toBe(path.join(root, 'vm', 'disks', 'vm.img'));
    expect(fs.readFileSync(shown.disks[0].replicaPath).equals(first.disk)).toBe(true);

    writeAt(disk, 10 * BLOCK, BLOCK);
    writeAt(disk, 40 * BLOCK, BLOCK);
    age(disk);
    fs.writeFileSync(path.join(folder, 'a.txt'), 'second version');
    age(path.join(folder, 'a.txt'));
    const second = snap();
    const cycle = ok(cli(home, ['item', 'replicate', 'vm', '--json'])).json<{
      status: string;
      result: { blocksSent: number };
    }>();
    expect(cycle).toMatchObject({ status: 'succeeded', result: { blocksSent: 2 } });

    const points = ok(cli(home, ['item', 'points', 'vm', '--json'])).json<{ id: string }[]>();
    expect(points.length).toBeGreaterThanOrEqual(3);
    for (const [i, p] of points.entries()) {
      const to = materialize(home, 'vm', p.id);
      const want = i === points.length - 1 ? second : first;
      expect(fs.readFileSync(path.join(to, 'disks', 'vm.img')).equals(want.disk), `point ${i + 1} disk`).toBe(true);
      expect(fs.readFileSync(path.join(to, 'folders', 'data', 'a.txt')).equals(want.a), `point ${i + 1} a.txt`).toBe(
        true,
      );
      expect(
        fs.readFileSync(path.join(to, 'folders', 'data', 'sub', 'b.bin')).equals(want.b),
        `point ${i + 1} b.bin`,
      ).toBe(true);
    }
  }, 240_000);

  it('refuses a request with no client certificate, or with another one', async () => {
    const none = await raw(agent.port, 'points');
    expect(none.status).toBe(403);
    expect(none.body.error).toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('no client certificate'),
    });
    const other = await raw(agent.port, 'points', await makeSelfSigned('someone else'));
    expect(other.status).toBe(403);
    expect(other.body.error).toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('not from the Lifeboat installation this site agent is paired with'),
    });
    const pairAgain = await raw(agent.port, 'pair', await makeSelfSigned('someone else'));
    expect(pairAgain.status).toBe(400);
    await agent.waitFor('refused points');
  }, 120_000);

  it('refuses an agent whose certificate is not the pinned one, as final', async () => {
    await agent.stop();
    const state = path.join(root, '.lifeboat-agent');
    const kept = tempHome('lifeboat-tls-');
    for (const f of ['tls-cert.pem', 'tls-key.pem']) fs.renameSync(path.join(state, f), path.join(kept, f));
    agent = await startAgent(root, `127.0.0.1:${agent.port}`);
    agents.push(agent);
    expect(agent.pairingKey).toBeNull();
    const r = cli(home, ['site', 'test', 'dr', '--json']);
    expect(r.code).not.toBe(0);
    expect(r.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('other than the one pinned'),
    });
    // The agent's own certificate back: the pinned one answers again.
    await agent.stop();
    for (const f of ['tls-cert.pem', 'tls-key.pem']) fs.renameSync(path.join(kept, f), path.join(state, f));
    agent = await startAgent(root, `127.0.0.1:${agent.port}`);
    agents.push(agent);
    ok(cli(home, ['site', 'test', 'dr']));
  }, 120_000);

  it('item disable removes the replica at the agent; site remove forgets the credentials', () => {
    expect(cli(home, ['site', 'remove', 'dr', '--yes', '--json']).json<{ error: { code: string } }>().error.code).toBe(
      'not_allowed',
    );
    ok(cli(home, ['item', 'disable', 'vm', '--yes']));
    expect(fs.existsSync(path.join(root, 'vm'))).toBe(false);
    ok(cli(home, ['site', 'remove', 'dr', '--yes']));
    expect(readDb(home, (d) => d.prepare("SELECT name FROM secrets WHERE name LIKE 'site-agent:%'").all())).toEqual([]);
  }, 120_000);
});
