/** The diagnostics bundle: logs, versions, database integrity, event-loop statistics, jobs; secrets redacted. */
import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from './engine';
import { redact } from './log';

export function collectDiagnostics(engine: Engine, out: string): { path: string; bytes: number; integrity: string } {
  const integrity = (engine.db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
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
      integrity,
      eventLoop: engine.eventLoop.stats(),
      service: engine.service.get(),
      jobs: engine.runner.store.list({ limit: 200 }).map((r) => ({ ...engine.runner.toJob(r), events: engine.runner.store.events(r.id) })),
      alerts: engine.alerts.list(true),
      settings: engine.db.prepare('SELECT key, value FROM settings').all(),
      logs,
    },
    null,
    2,
  );
  // Belt and braces: no secret value may appear anywhere in the bundle, whatever field it hid in.
  for (const secret of secretValues) if (secret.length >= 8) text = text.split(secret).join('[redacted]');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, text, { mode: 0o600 });
  return { path: out, bytes: Buffer.byteLength(text), integrity };
}
