/** Devices with real data for the failover tests: an in-process engine running jobs, file and iSCSI servers on temp roots. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Job } from '../../main/shared/schemas';
import { Engine } from '../../main/engine/engine';
import type { Result } from '../../main/shared/errors';
import { tempHome } from '../helpers/home';

export const MiB = 2 ** 20;

export function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

export function error<T>(r: Result<T>) {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.value).slice(0, 300)}`);
  return r.error;
}

export async function openEngine(dataDir = tempHome()): Promise<{ engine: Engine; key: string }> {
  const engine = Engine.open({ dataDir, mode: 'cli', runJobs: true });
  const { registrationKey } = value(await engine.call('service.init', { name: 'Lab' }));
  return { engine, key: registrationKey };
}

export const newRoot = () => path.join(tempHome('lifeboat-root-'), 'root');

export async function settle(e: Engine, job: Job | string, status: Job['status'] = 'succeeded'): Promise<Job> {
  const done = await e.runner.wait(typeof job === 'string' ? job : job.id, 180_000);
  if (done.status !== status)
    throw new Error(
      `job ${done.id} (${done.type}) ended ${done.status}, expected ${status}: ${done.error?.message ?? ''}`,
    );
  return done;
}

export interface DeviceOpts {
  capacity?: string;
  domain?: string;
  fips?: boolean;
  registered?: boolean;
  account?: string;
}

export async function fileServer(e: Engine, key: string, name: string, o: DeviceOpts = {}) {
  return value(
    await e.call('devices.create', {
      name,
      type: 'file',
      root: newRoot(),
      capacity: o.capacity ?? '1GiB',
      registrationKey: o.registered === false ? undefined : key,
      domain: o.domain === undefined ? 'corp.contoso.com' : o.domain || undefined,
      timeZone: 'UTC',
      fips: o.fips ?? false,
      account: o.account,
    }),
  );
}

export async function iscsiServer(e: Engine, key: string, name: string, o: DeviceOpts = {}) {
  return value(
    await e.call('devices.create', {
      name,
      type: 'iscsi',
      root: newRoot(),
      capacity: o.capacity ?? '1GiB',
      registrationKey: o.registered === false ? undefined : key,
      timeZone: 'UTC',
      fips: o.fips ?? false,
      account: o.account,
    }),
  );
}

export const random = (n: number) => crypto.randomBytes(n);

/** Two shares: docs (tiered: a unicode name, an empty folder, a symlink, a nested file) and pinned (locally pinned). */
export async function fileServerWithData(e: Engine, key: string, name: string, o: DeviceOpts = {}) {
  const device = await fileServer(e, key, name, o);
  value(
    await e.call('shares.create', {
      device: name,
      name: 'docs',
      description: 'Team documents',
      quota: '200MiB',
      user: ['CORP\\alice', 'CORP\\finance'],
      pinned: false,
    }),
  );
  value(
    await e.call('shares.create', {
      device: name,
      name: 'pinned',
      description: 'Always local',
      quota: '100MiB',
      pinned: true,
    }),
  );
  const docs = path.join(device.root, 'shares', 'docs');
  const pinned = path.join(device.root, 'shares', 'pinned');
  fs.writeFileSync(path.join(docs, 'readme.txt'), 'hello from the source\n');
  fs.writeFileSync(path.join(docs, 'Übersicht – 日本語 ✓.txt'), 'unicode name\n');
  fs.mkdirSync(path.join(docs, 'empty folder'));
  fs.mkdirSync(path.join(docs, 'projects', '2026'), { recursive: true });
  fs.writeFileSync(path.join(docs, 'projects', '2026', 'plan.bin'), random(MiB + 123));
  fs.symlinkSync('readme.txt', path.join(docs, 'link-to-readme'));
  fs.writeFileSync(path.join(pinned, 'db.bin'), random(512 * 1024));
  return { device, docs, pinned };
}

/** A 16 MiB sparse volume with three written regions, an ACR and CHAP. */
export async function iscsiServerWithData(e: Engine, key: string, name: string, o: DeviceOpts = {}) {
  const device = await iscsiServer(e, key, name, o);
  value(
    await e.call('volumes.create', {
      device: name,
      name: 'vol1',
      size: '16MiB',
      pinned: false,
      type: 'general',
      acr: ['iqn.1991-05.com.microsoft:host1.corp.contoso.com'],
      chapUser: 'host1',
      chapSecret: 'S3cret-secret!',
    }),
  );
  const image = path.join(device.root, 'volumes', 'vol1');
  const fd = fs.openSync(image, 'r+');
  for (const offset of [0, 5 * MiB + 4096, 12 * MiB]) fs.writeSync(fd, random(300 * 1024), 0, 300 * 1024, offset);
  fs.closeSync(fd);
  return { device, image };
}

export async function deactivate(e: Engine, name: string, finalBackup = true) {
  return settle(e, value(await e.call('devices.deactivate', { name, confirm: name, finalBackup })));
}

export async function backup(e: Engine, name: string) {
  return settle(e, value(await e.call('devices.backup', { name })));
}

/** Content hash, size and allocated bytes of a (sparse) image. */
export function describeImage(file: string) {
  const st = fs.statSync(file);
  return {
    size: st.size,
    sha256: crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'),
    allocated: st.blocks * 512,
  };
}
