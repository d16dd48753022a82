/**
 * The failback's held replica at the primary (sites/primary-failback.ts): its commit is durable in steps, so a
 * kill -9 halfway through it is finished by the next settle, never left as `held` naming copies that are gone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FailbackCopies } from '../../main/engine/sites/primary-failback';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function setup() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-failback-'));
  dirs.push(root);
  const journal = path.join(root, 'journal');
  fs.mkdirSync(journal);
  const disks = { a: path.join(root, 'a.img'), b: path.join(root, 'b.img') };
  for (const [name, file] of Object.entries(disks)) {
    fs.writeFileSync(file, `machine ${name}`);
    fs.writeFileSync(path.join(root, `.${name}.img.lifeboat-replica`), `replica ${name}`);
  }
  return { root, journal, disks, copies: new FailbackCopies(journal, { disks, folders: {} }) };
}

const state = (journal: string) => {
  const file = path.join(journal, 'held.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { state: string }).state : null;
};

describe('the failback commit', () => {
  it('drops the held replica and its state, keeping the machine’s files', async () => {
    const { root, journal, disks, copies } = setup();
    fs.writeFileSync(path.join(journal, 'held.json'), JSON.stringify({ state: 'held' }));
    await copies.drop();
    expect(state(journal)).toBeNull();
    expect(fs.readdirSync(root).filter((n) => n.includes('lifeboat-replica'))).toEqual([]);
    expect(fs.readFileSync(disks.a, 'utf8')).toBe('machine a');
    expect(copies.replicaPlaces().disks.a).toBe(disks.a);
  });

  it('a commit killed after one held copy went is finished by the next settle', async () => {
    const { root, journal, disks, copies } = setup();
    // What a kill -9 leaves: the commit's first step is durable, one of the two held copies is already gone.
    fs.writeFileSync(path.join(journal, 'held.json'), JSON.stringify({ state: 'dropping' }));
    fs.rmSync(path.join(root, '.a.img.lifeboat-replica'));
    await new FailbackCopies(journal, { disks, folders: {} }).settle();
    expect(state(journal)).toBeNull();
    expect(fs.existsSync(path.join(root, '.b.img.lifeboat-replica'))).toBe(false);
    expect(fs.readFileSync(disks.b, 'utf8')).toBe('machine b');
    expect(copies.replicaPlaces().disks.b).toBe(disks.b);
  });
});
