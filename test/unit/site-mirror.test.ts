/**
 * The mirror of a share at an agent site (devices/site-mirror.ts), read through the agent's real read calls
 * (sites/agent-source-calls.ts) on temp folders: a first run copies every file with its mode and mtime; a run after a
 * kill (a .partial file left, a file half written, a folder where the agent now has a file) ends with the same tree,
 * reading only what differs; a file gone at the agent goes from the mirror; a cancelled run stops; the sweep drops
 * the mirrors of devices that take no more backups.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../main/shared/errors';
import { mirrorTree, sweepMirrors, type MirrorReads } from '../../main/engine/devices/site-mirror';
import { SOURCE_CALLS, type SourceCallName } from '../../main/engine/sites/agent-source-calls';
import type { CallContext } from '../../main/engine/sites/agent-calls';

function agentAt(root: string): MirrorReads & { bytes: () => number } {
  let bytes = 0;
  const stateDir = path.join(root, '.agent-state');
  fs.mkdirSync(stateDir, { recursive: true });
  return {
    bytes: () => bytes,
    readAt: async <T>(name: SourceCallName, args: unknown[], onData?: (chunk: Buffer) => void) => {
      const send = async (c: Buffer) => {
        if (name === 'sourceRead') bytes += c.length;
        onData?.(Buffer.from(c));
      };
      const call = SOURCE_CALLS[name];
      return (await call.run(
        call.args.parse(args) as never[],
        { root, stateDir, send } as unknown as CallContext,
      )) as T;
    },
  };
}

function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (d: string, rel: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.statSync(p);
      const mode = (st.mode & 0o777).toString(8);
      if (st.isDirectory()) {
        out[`${r}/`] = mode;
        visit(p, r);
      } else out[r] = `${mode} ${Math.floor(st.mtimeMs)} ${fs.readFileSync(p, 'hex')}`;
    }
  };
  visit(dir, '');
  return out;
}

function put(file: string, data: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  fs.chmodSync(file, mode);
  const t = Date.now() / 1000 - 3600;
  fs.utimesSync(file, t, t);
}

describe('the mirror of a share at an agent site', () => {
  it('copies the tree, finishes after a kill reading only what differs, and drops what the agent deleted', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-mirror-'));
    const share = path.join(base, 'site', 'devices', 'fs1', 'shares', 'docs');
    const local = path.join(base, 'mirror', 'docs');
    put(path.join(share, 'a.txt'), 'alpha', 0o600);
    put(path.join(share, 'sub', 'b.txt'), 'beta beta');
    put(path.join(share, 'sub', 'c.txt'), 'gamma');
    put(path.join(share, 'x'), 'a file here, a folder in the mirror');
    const agent = agentAt(path.join(base, 'site'));
    const signal = new AbortController().signal;

    const first = await mirrorTree(agent, share, local, { signal });
    expect(first).toEqual({ fetchedBytes: 5 + 9 + 5 + 35, fetchedFiles: 4, removed: 0, files: 4, skipped: 0 });
    expect(listing(local)).toEqual(listing(share));

    // What a kill -9 mid-run leaves, and changes at the agent: a .partial file, a file cut short, a folder for a file.
    fs.writeFileSync(path.join(local, 'sub', '.lb-partial-c.txt'), 'gam');
    fs.truncateSync(path.join(local, 'sub', 'b.txt'), 4);
    fs.rmSync(path.join(local, 'x'));
    fs.mkdirSync(path.join(local, 'x', 'y'), { recursive: true });
    fs.rmSync(path.join(share, 'a.txt'));
    const again = await mirrorTree(agent, share, local, { signal });
    expect(again.fetchedBytes).toBe(9 + 35);
    expect(again.removed).toBe(3); // the .partial file, the folder x, a.txt
    expect(listing(local)).toEqual(listing(share));

    const still = await mirrorTree(agent, share, local, { signal });
    expect(still).toEqual({ fetchedBytes: 0, fetchedFiles: 0, removed: 0, files: 3, skipped: 0 });

    const cancelled = new AbortController();
    cancelled.abort();
    put(path.join(share, 'new.txt'), 'new');
    await expect(mirrorTree(agent, share, local, { signal: cancelled.signal })).rejects.toThrow();
    expect(fs.existsSync(path.join(local, 'new.txt'))).toBe(false);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('are swept for devices that take no more backups, and kept for the others', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-mirrors-'));
    for (const id of ['dev_live', 'dev_gone']) put(path.join(data, 'site-mirrors', id, 'shares', 'docs', 'a.txt'), id);
    expect(await sweepMirrors(data, (id) => id === 'dev_live')).toBe(1);
    expect(fs.readdirSync(path.join(data, 'site-mirrors'))).toEqual(['dev_live']);
    expect(await sweepMirrors(path.join(data, 'none'), () => false)).toBe(0);
    fs.rmSync(data, { recursive: true, force: true });
  });

  it('refuse a listing with entries outside the share or invalid, naming the site, device and entry', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-mirror-'));
    const local = path.join(base, 'data', 'site-mirrors', 'dev1', 'shares', 'docs');
    const signal = new AbortController().signal;
    const file = { t: 'f', size: 4, m: '1000000000000000000', mode: 0o644 };
    const dir = { t: 'd', size: 0, m: '1000000000000000000', mode: 0o755 };
    const hostile = (index: Record<string, unknown>): MirrorReads => ({
      site: 'branch',
      device: 'nas1',
      readAt: async <T>(name: SourceCallName, _args: unknown[], onData?: (chunk: Buffer) => void) => {
        if (name === 'sourceIndex') return { index, skipped: 0 } as T;
        if (name === 'sourceRead') {
          onData?.(Buffer.from('evil'));
          return { lengths: [4] } as T;
        }
        return { file: true, size: 4, mtimeNs: '1000000000000000000' } as T;
      },
    });
    const entries: Record<string, unknown>[] = [
      { '../../../../outside/evil.txt': file },
      { '..': dir },
      { 'a/../../../../outside': dir },
      { '': file },
      { [path.join(base, 'outside', 'abs.txt')]: file },
      { 'a\0b': file },
      { 'a//b': file },
      { './a': file },
      { 'a/': file },
    ];
    for (const index of entries) {
      const err = await mirrorTree(hostile(index), '/srv/docs', local, { signal }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LifeboatError);
      expect((err as LifeboatError).code).toBe('invalid_input');
      expect((err as LifeboatError).message).toMatch(/entry outside the share.*/);
      expect((err as LifeboatError).message).toContain('branch');
      expect((err as LifeboatError).message).toContain('nas1');
      expect((err as LifeboatError).message).toContain(JSON.stringify(Object.keys(index)[0]));
      expect((err as LifeboatError).hint).toMatch(/agent host/);
    }
    const invalid = [
      { ...file, t: 'l' },
      { ...file, size: -1 },
      { ...file, size: 1.5 },
      { ...file, size: 2 ** 60 },
      { ...file, m: 'soon' },
      { ...file, mode: Number.NaN },
      'a file',
    ];
    for (const e of invalid) {
      const err = await mirrorTree(hostile({ 'x.txt': e }), '/srv/docs', local, { signal }).catch((x: unknown) => x);
      expect((err as LifeboatError).code).toBe('invalid_input');
      expect((err as LifeboatError).message).toContain('"x.txt"');
    }
    expect(fs.existsSync(path.join(base, 'outside'))).toBe(false);
    expect(fs.readdirSync(base)).toEqual([]); // nothing written, not even the mirror's folder

    // Modes keep only their permission bits.
    const ok = await mirrorTree(hostile({ 'x.txt': { ...file, mode: 0o104755 } }), '/srv/docs', local, { signal });
    expect(ok).toMatchObject({ fetchedFiles: 1, fetchedBytes: 4, skipped: 0 });
    expect(fs.statSync(path.join(local, 'x.txt')).mode & 0o7777).toBe(0o755);

    // The hint of a share not there names the device.
    const none: MirrorReads = { site: 'branch', device: 'nas1', readAt: async <T>() => null as T };
    await expect(mirrorTree(none, '/srv/docs', local, { signal })).rejects.toMatchObject({
      code: 'not_found',
      hint: expect.stringContaining('lifeboat device show nas1 --refresh') as unknown,
    });
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('read no more than a file listed, refuse answers that do not carry what they declare, and check free space', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-mirror-'));
    const local = path.join(base, 'mirror', 'docs');
    const signal = new AbortController().signal;
    const listed = (size: number) => ({ 'f.bin': { t: 'f', size, m: '1000000000000000000', mode: 0o644 } });
    let reads = 0;
    const agent = (size: number, answer: (length: number, send: (c: Buffer) => void) => number[]): MirrorReads => ({
      site: 'branch',
      device: 'nas1',
      readAt: async <T>(name: SourceCallName, args: unknown[], onData?: (chunk: Buffer) => void) => {
        if (name === 'sourceIndex') return { index: listed(size), skipped: 0 } as T;
        if (name === 'sourceStat') return { file: true, dir: false, size, mtimeNs: '1000000000000000000' } as T;
        if (++reads > 20) throw new Error('the mirror reads without end');
        const [{ length }] = args[1] as { offset: number; length: number }[];
        return { lengths: answer(length, (c) => onData?.(c)) } as T;
      },
    });

    // An agent that always has more: the mirror stops at the listed size.
    reads = 0;
    const endless = agent(10, (length, send) => {
      send(Buffer.alloc(length, 'z'));
      return [length];
    });
    const r = await mirrorTree(endless, '/srv/docs', local, { signal });
    expect(r.fetchedFiles).toBe(1);
    expect(fs.readFileSync(path.join(local, 'f.bin'), 'utf8')).toBe('z'.repeat(10));
    expect(reads).toBeLessThanOrEqual(3);

    // Lengths declared and bytes sent that differ, or more than asked.
    fs.rmSync(local, { recursive: true, force: true });
    const liars = [
      agent(10, (_l, send) => {
        send(Buffer.alloc(3));
        return [10];
      }),
      agent(10, (length, send) => {
        send(Buffer.alloc(length + 100));
        return [length + 100];
      }),
      agent(10, () => [-1]),
      agent(10, () => []),
    ];
    for (const liar of liars) {
      reads = 0;
      await expect(mirrorTree(liar, '/srv/docs', local, { signal })).rejects.toMatchObject({
        code: 'invalid_input',
        message: expect.stringMatching(/branch.*nas1/) as unknown,
      });
      expect(fs.existsSync(path.join(local, 'f.bin'))).toBe(false);
    }

    // A file that shrank: an empty answer ends it.
    reads = 0;
    const shrunk = agent(10, (_l, send) => {
      if (reads % 2 === 0) return [0];
      send(Buffer.from('abc'));
      return [3];
    });
    await mirrorTree(shrunk, '/srv/docs', local, { signal });
    expect(reads).toBeLessThanOrEqual(20);

    // More than the disk holds: refused before any read.
    reads = 0;
    const huge = 2 ** 52;
    const err = await mirrorTree(
      agent(huge, () => [0]),
      '/srv/docs',
      path.join(base, 'big'),
      { signal },
    ).catch((e: unknown) => e);
    expect((err as LifeboatError).code).toBe('disk_full');
    expect((err as LifeboatError).message).toContain(String(huge));
    expect(reads).toBe(0);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('skip a file deleted or turned into a folder at the agent after its listing, leaving no partial', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-mirror-'));
    const share = path.join(base, 'site', 'devices', 'fs1', 'shares', 'docs');
    const local = path.join(base, 'mirror', 'docs');
    put(path.join(share, 'keep.txt'), 'kept');
    put(path.join(share, 'gone.txt'), 'deleted after the listing');
    put(path.join(share, 'sub', 'dir.txt'), 'a folder after the listing');
    put(path.join(share, 'grew.txt'), 'short');
    const real = agentAt(path.join(base, 'site'));
    const racing: MirrorReads = {
      readAt: async <T>(name: SourceCallName, args: unknown[], onData?: (chunk: Buffer) => void) => {
        const out = await real.readAt<T>(name, args, onData);
        if (name === 'sourceIndex') {
          fs.rmSync(path.join(share, 'gone.txt'));
          fs.rmSync(path.join(share, 'sub', 'dir.txt'));
          fs.mkdirSync(path.join(share, 'sub', 'dir.txt'));
          fs.writeFileSync(path.join(share, 'grew.txt'), 'a longer text now');
        }
        return out;
      },
    };
    const r = await mirrorTree(racing, share, local, { signal: new AbortController().signal });
    expect(r).toMatchObject({ skipped: 2, fetchedFiles: 2, files: 2 });
    expect(fs.readFileSync(path.join(local, 'keep.txt'), 'utf8')).toBe('kept');
    expect(fs.readFileSync(path.join(local, 'grew.txt'), 'utf8')).toBe('a longer text now');
    expect(fs.existsSync(path.join(local, 'gone.txt'))).toBe(false);
    expect(fs.existsSync(path.join(local, 'sub', 'dir.txt'))).toBe(false);
    const all = fs.readdirSync(local, { recursive: true }).map(String);
    expect(all.filter((f) => f.includes('.lb-partial-'))).toEqual([]);
    fs.rmSync(base, { recursive: true, force: true });
  });
});
