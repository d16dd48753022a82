import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { tempHome } from '../helpers/home';

let engine: Engine | null = null;
afterEach(async () => {
  await engine?.close();
  engine = null;
});

describe('service and secrets', () => {
  it('creates the service once, keeps the SDEK encrypted, and confirms it by its last 4 characters', async () => {
    const home = tempHome();
    engine = Engine.open({ dataDir: home, mode: 'cli' });
    const created = await engine.call('service.init', { name: 'Lab DR' });
    if (!created.ok) throw new Error(created.error.message);
    const { sdek, registrationKey, service } = created.value;
    expect(service.sdekConfirmed).toBe(false);
    expect(registrationKey).toMatch(/^svc-[0-9a-f]{4}::[0-9A-Z]{32}$/);

    const again = await engine.call('service.init', { name: 'Other' });
    expect(again).toMatchObject({ ok: false, error: { code: 'already_initialized' } });

    const wrong = await engine.call('service.confirmSdek', { last4: 'ZZZZ' === sdek.slice(-4) ? 'YYYY' : 'ZZZZ' });
    expect(wrong).toMatchObject({
      ok: false,
      error: { code: 'bad_key', message: expect.stringContaining('not the last 4 characters') },
    });
    const right = await engine.call('service.confirmSdek', { last4: sdek.slice(-4).toLowerCase() });
    expect(right).toMatchObject({ ok: true, value: { sdekConfirmed: true } });

    // Nothing secret is stored in clear: not in the database, its WAL, nor the logs.
    await engine.close();
    engine = null;
    const keyFile = path.join(home, 'secrets.key');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    for (const f of ['lifeboat.db', 'lifeboat.db-wal', 'logs/lifeboat.log']) {
      const p = path.join(home, f);
      if (!fs.existsSync(p)) continue;
      const bytes = fs.readFileSync(p).toString('latin1');
      expect(bytes, f).not.toContain(sdek);
      expect(bytes, f).not.toContain(sdek.replace(/-/g, ''));
      expect(bytes, f).not.toContain(registrationKey);
    }
    engine = Engine.open({ dataDir: home, mode: 'cli' });
    expect(engine.service.sdekText()).toBe(sdek);
  });

  it('joins an existing service with its SDEK and refuses a malformed one', async () => {
    const first = Engine.open({ dataDir: tempHome(), mode: 'cli' });
    const created = await first.call('service.init', { name: 'Site A' });
    await first.close();
    if (!created.ok) throw new Error('init failed');
    engine = Engine.open({ dataDir: tempHome(), mode: 'cli' });
    const bad = await engine.call('service.join', {
      sdek: created.value.sdek.slice(0, -1) + (created.value.sdek.endsWith('A') ? 'B' : 'A'),
    });
    expect(bad).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringContaining('typo') },
    });
    const joined = await engine.call('service.join', { sdek: created.value.sdek, name: 'Site A' });
    expect(joined).toMatchObject({
      ok: true,
      value: { joined: true, sdekConfirmed: true, sdekFingerprint: created.value.service.sdekFingerprint },
    });
  });

  it('answers invalid input with invalid_input naming the field, never a crash', async () => {
    engine = Engine.open({ dataDir: tempHome(), mode: 'cli' });
    expect(await engine.call('service.init', { name: '' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringMatching(/^name: /) },
    });
    expect(await engine.call('jobs.selftest', { sizeMiB: -1 } as never)).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringMatching(/^sizeMiB: /) },
    });
    expect(await engine.call('no.such.call' as never, {} as never)).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
  });

  it('writes a diagnostics bundle with the integrity check and no secret in it', async () => {
    const home = tempHome();
    engine = Engine.open({ dataDir: home, mode: 'cli' });
    const created = await engine.call('service.init', { name: 'Diag' });
    if (!created.ok) throw new Error('init failed');
    engine.log.info('a line that tries to leak', {
      sdek: created.value.sdek,
      nested: { registrationKey: created.value.registrationKey },
    });
    const out = path.join(home, 'diag.json');
    const r = await engine.call('diagnostics.collect', { out });
    expect(r).toMatchObject({ ok: true, value: { path: out, integrity: 'ok' } });
    const text = fs.readFileSync(out, 'utf8');
    expect(text).not.toContain(created.value.sdek);
    expect(text).not.toContain(created.value.registrationKey);
    const bundle = JSON.parse(text);
    expect(bundle.versions.sqlite).toMatch(/^3\./);
    expect(bundle.eventLoop).toHaveProperty('maxMs');
    expect(bundle.logs[0].lines.some((l: { msg?: string }) => l.msg === 'a line that tries to leak')).toBe(true);
  });
});

describe('keychain-sealed secrets', () => {
  it('refuses, rather than making a new key, when the key is sealed by a keychain that is not available', async () => {
    const home = tempHome();
    fs.writeFileSync(path.join(home, 'secrets.key.os'), 'sealed by the desktop app');
    engine = Engine.open({ dataDir: home, mode: 'cli' });
    const r = await engine.call('service.init', { name: 'Lab' });
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'bad_key', message: expect.stringContaining("sealed with the operating system's keychain") },
    });
    expect(fs.existsSync(path.join(home, 'secrets.key'))).toBe(false);
    expect(engine.service.get()).toBeNull();
  });
});
