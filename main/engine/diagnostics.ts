/** The diagnostics bundle: logs, versions, database integrity, event-loop statistics, jobs; secrets redacted. */
import fs from 'node:fs';
import path from 'node:path';
import type { EngineSurface as Engine } from './engine-surface';
import { LifeboatError } from '../shared/errors';
import { redact } from './log';
import { FILE_MODE } from './private-files';

const exists = (out: string) =>
  new LifeboatError(
    'already_exists',
    `The file ${out} already exists.`,
    'Give another file name, or add --force to replace it.',
  );

/** Refuses a folder, and an existing file unless `force`: the bundle is written where the user says, nowhere else. */
function checkOut(out: string, force: boolean): void {
  if (!path.isAbsolute(out))
    throw new LifeboatError(
      'invalid_input',
      `out: give an absolute path (got ${out}).`,
      'Give the full path of the file to write.',
    );
  let st: fs.Stats;
  try {
    st = fs.statSync(out);
  } catch {
    return; // a new file
  }
  if (st.isDirectory())
    throw new LifeboatError(
      'invalid_input',
      `out: ${out} is a folder.`,
      `Give the path of a file to write, e.g. ${path.join(out, 'lifeboat-diagnostics.json')}.`,
    );
  if (!force) throw exists(out);
  if (!st.isFile())
    throw new LifeboatError('invalid_input', `out: ${out} is not a regular file.`, 'Give the path of a file to write.');
}

/** Writes through a temporary file renamed into place: a replaced file ends up 0600 and whole, never half written. */
function writeBundle(out: string, text: string, force: boolean): void {
  const part = `${out}.${process.pid}.part`;
  try {
    fs.mkdirSync(path.dirname(out), { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // mkdir -p through a file says EEXIST (the file) or ENOTDIR (below it).
    if (code === 'EEXIST' || code === 'ENOTDIR')
      throw new LifeboatError(
        'invalid_input',
        `out: a part of ${path.dirname(out)} is a file, not a folder.`,
        'Give a path in an existing folder, or one that can be created.',
      );
    throw new LifeboatError(
      'io_error',
      `Cannot create the folder ${path.dirname(out)}: ${(err as Error).message}.`,
      'Choose a folder you can write to.',
      { cause: err },
    );
  }
  try {
    fs.writeFileSync(part, text, { mode: FILE_MODE, flag: 'wx' });
    if (force) fs.renameSync(part, out);
    else {
      // A link fails when out appeared meanwhile, where a rename would replace it.
      fs.linkSync(part, out);
      fs.rmSync(part);
    }
  } catch (err) {
    fs.rmSync(part, { force: true });
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST') throw exists(out);
    throw new LifeboatError(
      'io_error',
      `Cannot write the diagnostics bundle ${out}: ${e.message}.`,
      'Choose a folder you can write to, with free space.',
      { cause: err },
    );
  }
}

export function collectDiagnostics(
  engine: Engine,
  out: string,
  opts: { force?: boolean } = {},
): { path: string; bytes: number; integrity: string } {
  checkOut(out, opts.force ?? false);
  const integrity = (engine.db.pragma('integrity_check') as { integrity_check: string }[])
    .map((r) => r.integrity_check)
    .join('; ');
  const logs = engine.log.files().map((file) => ({
    file: path.basename(file),
    lines: fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .slice(-5000)
      .map((line) => {
        try {
          return redact(JSON.parse(line));
        } catch {
          return line;
        }
      }),
  }));
  const secretValues = engine.secretValues();
  let text = JSON.stringify(
    {
      createdAt: new Date().toISOString(),
      versions: engine.versions(),
      dataDir: engine.dataDir,
      warnings: [engine.homeExposure()].flatMap((w) => (w ? [`${w.message} ${w.hint}`] : [])),
      integrity,
      eventLoop: engine.eventLoop.stats(),
      service: engine.service.get(),
      jobs: engine.runner.store
        .list({ limit: 200 })
        .map((r) => ({ ...engine.runner.toJob(r), events: engine.runner.store.events(r.id) })),
      alerts: engine.alerts.list(true),
      settings: engine.settings.withPrefix(''),
      logs,
    },
    null,
    2,
  );
  // Belt and braces: no secret value may appear anywhere in the bundle, whatever field it hid in.
  for (const secret of secretValues) if (secret.length >= 8) text = text.split(secret).join('[redacted]');
  writeBundle(out, text, opts.force ?? false);
  return { path: out, bytes: Buffer.byteLength(text), integrity };
}
