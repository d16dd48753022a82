/**
 * Structured JSON-lines log in the data directory, rotated by size (lifeboat.log, lifeboat.1.log, ...).
 * Small synchronous appends keep ordering exact across a crash; values under secret-looking keys are redacted.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ErrorInfo } from '../shared/errors';
import { FILE_MODE, privateDir } from './private-files';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /(sdek|secret|password|key|token|credential|connectionstring|sas)/i;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_KEY.test(k) && typeof v === 'string' ? '[redacted]' : redact(v, depth + 1);
  return out;
}

export class Logger {
  level: Level = 'info';
  private size = 0;
  private fd: number | null = null;
  /** Why the last write failed (cleared by the next that works): an error must not send the user to a log that is not there. */
  failure: string | undefined;
  constructor(
    readonly dir: string,
    private readonly maxBytes = 5 * 1024 * 1024,
    private readonly keep = 5,
  ) {}

  get file(): string {
    return path.join(this.dir, 'lifeboat.log');
  }

  private open(): number {
    if (this.fd === null) {
      privateDir(this.dir);
      this.fd = fs.openSync(this.file, 'a', FILE_MODE);
      // A log an earlier version made 0644 (open's mode applies only to a new file) becomes private too.
      if (process.platform !== 'win32') fs.fchmodSync(this.fd, FILE_MODE);
      this.size = fs.fstatSync(this.fd).size;
    }
    return this.fd;
  }

  private rotate(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    for (let i = this.keep - 1; i >= 1; i--) {
      const from = i === 1 ? this.file : path.join(this.dir, `lifeboat.${i - 1}.log`);
      const to = path.join(this.dir, `lifeboat.${i}.log`);
      if (fs.existsSync(from)) fs.renameSync(from, to);
    }
  }

  log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const line =
      JSON.stringify({ t: new Date().toISOString(), level, msg, pid: process.pid, ...(redact(fields) as object) }) +
      '\n';
    try {
      if (this.size + line.length > this.maxBytes) this.rotate();
      fs.writeSync(this.open(), line);
      this.size += Buffer.byteLength(line);
      this.failure = undefined;
    } catch (err) {
      // Logging must never take the engine down (a full disk is reported by the work that hits it).
      this.failure = (err as Error).message;
    }
  }
  debug(msg: string, f?: Record<string, unknown>) {
    this.log('debug', msg, f);
  }
  info(msg: string, f?: Record<string, unknown>) {
    this.log('info', msg, f);
  }
  warn(msg: string, f?: Record<string, unknown>) {
    this.log('warn', msg, f);
  }
  error(msg: string, f?: Record<string, unknown>) {
    this.log('error', msg, f);
  }

  /** `info`, but an error that sends the user to the log says instead that the log cannot be written, and why. */
  explain(info: ErrorInfo): ErrorInfo {
    if (!this.failure || !info.hint?.includes('log')) return info;
    return {
      ...info,
      hint: `The log in ${this.dir} cannot be written either (${this.failure}): make it writable (free space on its disk, check its permissions), then try again; the log then says more.`,
    };
  }

  /** Log files, newest first. */
  files(): string[] {
    const all = [
      this.file,
      ...Array.from({ length: this.keep }, (_, i) => path.join(this.dir, `lifeboat.${i + 1}.log`)),
    ];
    return all.filter((f) => fs.existsSync(f));
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
