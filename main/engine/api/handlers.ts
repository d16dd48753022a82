/** One handler per contract call. Handlers receive validated input; the dispatcher turns throws into Results. */
import fs from 'node:fs';
import path from 'node:path';
import { collectDiagnostics } from '../diagnostics';
import type { EngineSurface as Engine } from '../engine-surface';
import { LifeboatError } from '../../shared/errors';
import { selftestParams } from '../jobs/kinds/selftest';
import { readInstance } from '../lock';
import type { Level } from '../log';
import { VERSION } from '../paths';
import type { CallOutput } from '../../shared/contract';
import type { Handlers } from './types';
import { deviceHandlers } from '../devices/handlers';
import { failoverHandlers } from '../failover/handlers';
import { planHandlers } from '../plans/handlers';
import { protectionHandlers } from '../replication/handlers';

function settings(engine: Engine): CallOutput<'settings.get'> {
  return {
    dataDir: engine.dataDir,
    logLevel: engine.log.level,
    secretProtection: engine.secrets.protector.kind,
    versions: engine.versions(),
    eventLoop: engine.eventLoop.stats(),
  };
}

function withService<T>(engine: Engine, f: () => T): T {
  const before = engine.service.get();
  const result = f();
  const after = engine.service.get();
  if (JSON.stringify(before) !== JSON.stringify(after)) engine.bus.emit({ type: 'service.changed', service: after });
  return result;
}

/** Scripts are small text files; the console reads them through the engine because a browser cannot. */
function readScript(file: string): string {
  if (!path.isAbsolute(file)) throw new LifeboatError('invalid_input', `path: give an absolute path (got ${file}).`);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new LifeboatError(
      'not_found',
      `There is no script ${file}.`,
      'Check the path; the console needs an absolute path.',
    );
  }
  if (!stat.isFile()) throw new LifeboatError('invalid_input', `path: ${file} is not a file.`);
  if (stat.size > 1 << 20)
    throw new LifeboatError('invalid_input', `path: ${file} is ${stat.size} bytes; a script has at most 1 MiB.`);
  const text = fs.readFileSync(file, 'utf8');
  if (text.includes('\u0000')) throw new LifeboatError('invalid_input', `path: ${file} is not a text file.`);
  return text;
}

export const handlers: Handlers = {
  'status.get': (engine) => {
    const counts = engine.runner.store.countByStatus();
    // A CLI command that opened the data directory itself is not a running app.
    const instance = readInstance(engine.dataDir);
    const app = instance && instance.mode !== 'cli' ? instance : null;
    return {
      version: VERSION,
      dataDir: engine.dataDir,
      service: engine.service.get(),
      app: app
        ? { pid: app.pid, mode: app.mode, url: app.url ? app.url.replace(/#.*$/, '') : null, startedAt: app.startedAt }
        : null,
      jobs: { queued: counts.queued, running: counts.running, failed: counts.failed },
      alerts: { unacknowledged: engine.alerts.unacknowledged() },
      warnings: [engine.homeExposure()].flatMap((w) => (w ? [`${w.message} ${w.hint}`] : [])),
    };
  },
  'service.get': (engine) => engine.service.get(),
  'service.init': (engine, input) => withService(engine, () => engine.service.init(input.name)),
  'service.join': (engine, input) => withService(engine, () => engine.service.join(input.sdek, input.name)),
  'service.confirmSdek': (engine, input) => withService(engine, () => engine.service.confirmSdek(input.last4)),
  'service.registrationKey': (engine) => ({ registrationKey: engine.service.registrationKey() }),
  'jobs.list': (engine, input) =>
    engine.runner.store.list({ status: input.status, limit: input.limit }).map((r) => engine.runner.toJob(r)),
  'jobs.show': (engine, input) => ({
    job: engine.runner.get(input.id),
    children: engine.runner.store.list({ parentId: input.id, limit: 1000 }).map((r) => engine.runner.toJob(r)),
  }),
  'jobs.cancel': (engine, input) => engine.runner.cancel(input.id),
  'jobs.pause': (engine, input) => engine.runner.pause(input.id),
  'jobs.resume': (engine, input) => engine.runner.resume(input.id),
  'jobs.wait': (engine, input, ctx) => engine.runner.wait(input.id, input.timeoutSeconds * 1000, ctx.signal),
  'jobs.selftest': (engine, input) => engine.runner.create('selftest', selftestParams(input)),
  'alerts.list': (engine, input) => engine.alerts.list(input.all),
  'alerts.ack': (engine, input) => {
    if (input.all) return { acknowledged: engine.alerts.acknowledge('all') };
    if (!input.id) throw new LifeboatError('invalid_input', 'id: name the alert to acknowledge, or pass --all.');
    if (!engine.alerts.exists(input.id))
      throw new LifeboatError(
        'not_found',
        `There is no alert ${input.id}.`,
        'List alerts with `lifeboat alerts list`.',
      );
    return { acknowledged: engine.alerts.acknowledge([input.id]) };
  },
  'settings.get': (engine) => settings(engine),
  'settings.set': (engine, input) => {
    if (input.logLevel) {
      engine.setSetting('logLevel', input.logLevel);
      engine.log.level = input.logLevel as Level;
    }
    return settings(engine);
  },
  'scripts.read': (_engine, input) => ({ path: input.path, text: readScript(input.path) }),
  'history.list': (engine, input) => engine.history.list(input.limit),
  'history.add': (engine, input) => ({ count: engine.history.add(input.line) }),
  'diagnostics.collect': (engine, input) => collectDiagnostics(engine, input.out, { force: input.force }),
  'accounts.add': (engine, input) => engine.accounts.add(input),
  'accounts.list': (engine) => engine.accounts.list(),
  'accounts.show': (engine, input) => engine.accounts.show(input.name),
  'accounts.test': (engine, input) => engine.accounts.test(input.name),
  'accounts.remove': (engine, input) => engine.accounts.remove(input.name, input.force),
  'accounts.edit': (engine, input) => engine.accounts.edit(input),
  'accounts.rebuildCatalog': (engine, input) => engine.accounts.rebuildCatalog(input.name),
  'accounts.check': (engine, input) => {
    const row = engine.accounts.store.require(input.name);
    return engine.runner.create('account.check', {
      accountId: row.id,
      accountName: row.name,
      readData: input.readData,
    });
  },
  'backups.create': (engine, input) => engine.backups.create(input),
  'backups.list': (engine, input) => engine.backups.list(input.account),
  'backups.show': (engine, input) => engine.backups.show(input.id),
  'backups.files': (engine, input) => engine.backups.files(input, engine.workers),
  'backups.restore': (engine, input) => engine.backups.restore(input),
  'backups.delete': (engine, input) => engine.backups.delete(input.id),
  'backups.prune': (engine, input) => engine.backups.prune(input, engine.workers),
  ...deviceHandlers,
  ...failoverHandlers,
  ...protectionHandlers,
  ...planHandlers,
};
