/**
 * The torture run's four kinds of trial: what each sets up (through the real CLI, uninterrupted), the command that is
 * killed part-way, and what must hold once every job has resumed: each restored or failed-over tree byte-identical
 * to its source, exactly the backups that should exist, and for prune an account that is valid even as the kill left it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cli, ok, readDb } from '../helpers/home';
import { describeTree } from '../helpers/tree';
import { churn, makeImage, makeTree } from './data';

export type Kind = 'backup' | 'restore' | 'failover' | 'prune';
export const KINDS: Kind[] = ['backup', 'restore', 'failover', 'prune'];

export interface Trial {
  /** The command that is killed (it runs the job, or follows it in the app). */
  args: string[];
  /** The job type it starts (none for prune, which runs in the call). */
  jobType: string | null;
  /** Checks of the data as the kill left it, before anything resumes: a list of failures. */
  afterKill?(): string[];
  /** Run after every job resumed and ended: a list of failures. */
  verify(): string[];
}

interface Listed {
  id: string;
  files: number;
}

const MiB = 1 << 20;

/** What a restore must reproduce: content, mode and time of every entry (a file: its own entry). */
function snapshotOf(p: string): Record<string, string> {
  if (fs.statSync(p).isDirectory()) return describeTree(p);
  const dir = path.dirname(p);
  return { [path.basename(p)]: describeTree(dir)[path.basename(p)] };
}

function compare(label: string, expected: Record<string, string>, actual: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  const differ = [...keys].filter((k) => expected[k] !== actual[k]);
  return differ.length
    ? [
        `${label}: ${differ.length} entries differ (first: ${differ[0]}: expected ${expected[differ[0]] ?? 'nothing'}, got ${actual[differ[0]] ?? 'nothing'})`,
      ]
    : [];
}

const listBackups = (home: string) => ok(cli(home, ['backup', 'list', '--account', 'lab', '--json'])).json<Listed[]>();

/** Restores a backup uninterrupted into a new folder and compares each source with what it held. */
function restoresAs(
  home: string,
  work: string,
  id: string,
  sources: Record<string, Record<string, string>>,
  label: string,
): string[] {
  const out = path.join(work, `check-${id.slice(-8)}-${Date.now()}`);
  const r = cli(home, ['backup', 'restore', id, '--to', out, '--json']);
  if (r.code !== 0) return [`${label}: restoring ${id} failed: ${r.stderr.trim() || r.stdout.slice(0, 300)}`];
  const failures = Object.entries(sources).flatMap(([name, tree]) =>
    compare(`${label} ${name}`, tree, snapshotOf(path.join(out, name))),
  );
  fs.rmSync(out, { recursive: true, force: true });
  return failures;
}

/** A service with a local storage account "lab"; returns the registration key. */
export function initService(home: string, work: string): string {
  const key = ok(cli(home, ['service', 'init', '--name', 'Torture', '--json'])).json<{ registrationKey: string }>()
    .registrationKey;
  ok(cli(home, ['account', 'add', 'lab', '--local', path.join(work, 'account')]));
  return key;
}

/** A share-like tree (three quarters of the size) and a sparse image (its data an eighth). */
function sources(work: string, sizeMiB: number, seed: number) {
  const src = path.join(work, 'src');
  const img = path.join(work, 'vol.img');
  makeTree(src, Math.round(sizeMiB * 0.75 * MiB), seed);
  makeImage(img, Math.max(MiB, Math.round(sizeMiB * 0.5) * MiB), seed + 1);
  return { src, img, expected: () => ({ src: snapshotOf(src), 'vol.img': snapshotOf(img) }) };
}

export function prepare(kind: Kind, home: string, work: string, sizeMiB: number, seed: number): Trial {
  const key = initService(home, work);
  if (kind === 'backup') {
    const { src, img, expected } = sources(work, sizeMiB, seed);
    const want = expected();
    return {
      args: ['backup', 'create', '--account', 'lab', '--source', src, '--source', img, '--json'],
      jobType: 'backup.create',
      afterKill: () => {
        // A backup is listed whole or not at all.
        const listed = listBackups(home);
        return listed.length > 1 ? [`after the kill ${listed.length} backups are listed`] : [];
      },
      verify: () => {
        const listed = listBackups(home);
        if (listed.length !== 1) return [`${listed.length} backups listed, expected 1`];
        return restoresAs(home, work, listed[0].id, want, 'backup');
      },
    };
  }
  if (kind === 'restore') {
    const { src, img, expected } = sources(work, sizeMiB, seed);
    const want = expected();
    ok(cli(home, ['backup', 'create', '--account', 'lab', '--source', src, '--source', img, '--json']));
    const [backup] = listBackups(home);
    const out = path.join(work, 'restored');
    return {
      args: ['backup', 'restore', backup.id, '--to', out, '--json'],
      jobType: 'backup.restore',
      verify: () =>
        Object.entries(want).flatMap(([name, tree]) =>
          fs.existsSync(path.join(out, name))
            ? compare(`restore ${name}`, tree, snapshotOf(path.join(out, name)))
            : [`restore: ${name} is missing`],
        ),
    };
  }
  if (kind === 'failover') {
    const root = (n: string) => path.join(work, n);
    ok(
      cli(home, [
        'device',
        'create',
        'fs1',
        '--type',
        'file',
        '--root',
        root('fs1'),
        '--capacity',
        `${Math.max(1, Math.ceil((sizeMiB * 2) / 1024))}GiB`,
        '--account',
        'lab',
        '--registration-key',
        key,
      ]),
    );
    ok(cli(home, ['share', 'create', 'fs1', 'docs', '--quota', `${sizeMiB + 64}MiB`]));
    ok(cli(home, ['share', 'create', 'fs1', 'pinned', '--quota', `${Math.ceil(sizeMiB / 4) + 16}MiB`, '--pinned']));
    const shares = path.join(root('fs1'), 'shares');
    makeTree(path.join(shares, 'docs'), Math.round(sizeMiB * 0.8 * MiB), seed);
    makeTree(path.join(shares, 'pinned'), Math.round(sizeMiB * 0.2 * MiB), seed + 1);
    const want = { docs: describeTree(path.join(shares, 'docs')), pinned: describeTree(path.join(shares, 'pinned')) };
    ok(cli(home, ['device', 'deactivate', 'fs1', '--confirm', 'fs1']));
    ok(
      cli(home, [
        'device',
        'create',
        'fs2',
        '--type',
        'file',
        '--root',
        root('fs2'),
        '--capacity',
        `${Math.max(1, Math.ceil((sizeMiB * 2) / 1024))}GiB`,
        '--account',
        'lab',
        '--registration-key',
        key,
      ]),
    );
    return {
      args: ['failover', 'start', 'fs1', '--target', 'fs2', '--yes', '--json'],
      jobType: 'device.failover',
      verify: () => {
        const devices = readDb(
          home,
          (db) =>
            db.prepare('SELECT name, status, root FROM devices ORDER BY created_at').all() as {
              name: string;
              status: string;
              root: string;
            }[],
        );
        const target = devices.find((d) => d.name === 'fs2' && d.status === 'online');
        const failures = devices.some((d) => d.name === 'fs1' && d.status !== 'deleted')
          ? ['failover: the source fs1 is not deleted']
          : [];
        if (!target)
          return [...failures, `failover: no online fs2 (${devices.map((d) => `${d.name} ${d.status}`).join(', ')})`];
        return [
          ...failures,
          ...Object.entries(want).flatMap(([share, tree]) =>
            compare(`failover ${share}`, tree, describeTree(path.join(target.root, 'shares', share))),
          ),
        ];
      },
    };
  }
  // prune: two backups, the second after half the files changed or went, so prune deletes one and repacks.
  const src = path.join(work, 'src');
  makeTree(src, Math.round(sizeMiB * 0.5 * MiB), seed);
  const trees = new Map<string, Record<string, Record<string, string>>>();
  const backup = () => {
    const tree = { src: describeTree(src) };
    ok(cli(home, ['backup', 'create', '--account', 'lab', '--source', src, '--json']));
    const listed = listBackups(home);
    const id = listed.map((b) => b.id).find((b) => !trees.has(b))!;
    trees.set(id, tree);
    return id;
  };
  backup();
  churn(src, seed + 2);
  const newest = backup();
  const validAccount = (label: string) => {
    const listed = listBackups(home).map((b) => b.id);
    const failures = listed.includes(newest) ? [] : [`${label}: the newest backup is not listed`];
    for (const id of listed)
      failures.push(
        ...(trees.has(id)
          ? restoresAs(home, work, id, trees.get(id)!, `${label}: backup ${id}`)
          : [`${label}: unknown backup ${id} listed`]),
      );
    return { listed, failures };
  };
  return {
    args: ['backup', 'prune', '--account', 'lab', '--keep-last', '1', '--yes', '--json'],
    jobType: null,
    // The account as the kill left it: every listed backup restores exactly (check --read-data runs after).
    afterKill: () => validAccount('after the kill').failures,
    verify: () => {
      const r = cli(home, ['backup', 'prune', '--account', 'lab', '--keep-last', '1', '--yes', '--json']);
      if (r.code !== 0) return [`prune again failed: ${r.stderr.trim()}`];
      const { listed, failures } = validAccount('pruned');
      return listed.length === 1 ? failures : [...failures, `after prune ${listed.length} backups are listed`];
    },
  };
}
