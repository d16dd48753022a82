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
    expect(first).toEqual({ fetchedBytes: 5 + 9 + 5 + 35, fetchedFiles: 4, removed: 0, files: 4 });
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
    expect(still).toEqual({ fetchedBytes: 0, fetchedFiles: 0, removed: 0, files: 3 });

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
});
