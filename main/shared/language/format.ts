/** Human output: tables, records and job summaries; colour only on interactive terminals. */
import type { ErrorInfo } from '../errors';
import { formatBytes, formatDuration } from '../units';
import type { Job } from '../schemas';

export interface Style {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (code: number, reset: number) => (s: string) => `\x1b[${code}m${s}\x1b[${reset}m`;
export const colour: Style = {
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  dim: wrap(2, 22),
  bold: wrap(1, 22),
};
export const noColour: Style = { red: (s) => s, green: (s) => s, yellow: (s) => s, dim: (s) => s, bold: (s) => s };

/** Fields that hold byte counts: shown as sizes to people (--json keeps the numbers). */
const BYTE_FIELDS = new Set([
  'bytes',
  'capacity',
  'provisioned',
  'used',
  'quota',
  'size',
  'allocated',
  'storedNew',
  'bytesNew',
  'bytesRead',
  'bytesToRestore',
  'hotBytes',
  'warmBytes',
  'coldBytes',
  'bytesFreed',
  'bytesRepacked',
]);

function cell(v: unknown, key: string): string {
  if (v === null || v === undefined) return '-';
  if (key === 'progress' && typeof v === 'number') return `${Math.round(v * 100)}%`;
  if (BYTE_FIELDS.has(key) && typeof v === 'number') return formatBytes(v);
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) return v.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const headerOf = (key: string) => key.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();

export function table(rows: Record<string, unknown>[], columns: string[], width = 120): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((r) => columns.map((c) => cell(r[c], c)));
  const widths = columns.map((c, i) => Math.max(headerOf(c).length, ...cells.map((r) => r[i].length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i])))
      .join('  ')
      .slice(0, Math.max(width, 40))
      .trimEnd();
  return [line(columns.map(headerOf)), ...cells.map(line)].join('\n') + '\n';
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A record as indented `key: value` lines; nested records and lists of records are indented under their key. */
export function record(value: unknown, indent = ''): string {
  if (value === null || value === undefined) return `${indent}(none)\n`;
  if (typeof value !== 'object') return `${indent}${cell(value, '')}\n`;
  let out = '';
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (isRecord(v)) out += `${indent}${k}:\n${record(v, indent + '  ')}`;
    else if (Array.isArray(v) && v.some(isRecord))
      out += `${indent}${k}:\n${v.map((x) => record(x, indent + '    ').replace(/^ {2}( *)/, `$1- `)).join('')}`;
    else out += `${indent}${k}: ${Array.isArray(v) ? v.map((x) => cell(x, k)).join(', ') || '(none)' : cell(v, k)}\n`;
  }
  return out;
}

export function statusColour(status: string, st: Style): string {
  if (status === 'succeeded') return st.green(status);
  if (status === 'failed') return st.red(status);
  if (status === 'cancelled' || status === 'paused') return st.yellow(status);
  return status;
}

export function jobSummary(job: Job, st: Style, children: Job[] = []): string {
  const ended = job.endedAt ?? new Date().toISOString();
  const duration = job.startedAt ? ` in ${formatDuration(Date.parse(ended) - Date.parse(job.startedAt))}` : '';
  let out = `${st.bold(job.title)} ${st.dim(job.id)}: ${statusColour(job.status, st)} ${Math.round(job.progress * 100)}%${duration}\n`;
  if (job.message) out += `  ${job.message}\n`;
  for (const s of job.steps)
    out += `  ${s.index + 1}. ${s.title}: ${statusColour(s.status, st)}${s.error ? ` - ${s.error.message}` : ''}\n`;
  for (const c of children)
    out += `  child ${c.id} ${c.title}: ${statusColour(c.status, st)} ${Math.round(c.progress * 100)}%\n`;
  if (job.error) out += formatError(job.error, st);
  if (job.resumable) out += st.dim(`  Resume it with: lifeboat jobs resume ${job.id}\n`);
  return out;
}

export function formatError(error: ErrorInfo | { code: string; message: string; hint?: string }, st: Style): string {
  return `${st.red(`error (${error.code}): ${error.message}`)}\n${error.hint ? `${st.dim(`hint: ${error.hint}`)}\n` : ''}`;
}

export function progressLine(
  p: { progress: number; message: string | null; bytesDone: number; bytesTotal: number; rate: number },
  width: number,
): string {
  const barWidth = Math.max(10, Math.min(30, width - 60));
  const filled = Math.round(p.progress * barWidth);
  const pct = `${Math.floor(p.progress * 100)}%`.padStart(4);
  const rate = p.rate > 0 ? ` ${formatBytes(p.rate)}/s` : '';
  const eta =
    p.rate > 0 && p.bytesTotal > p.bytesDone
      ? ` ETA ${formatDuration(((p.bytesTotal - p.bytesDone) / p.rate) * 1000)}`
      : '';
  const text = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${pct}${rate}${eta} ${p.message ?? ''}`;
  return text.slice(0, Math.max(20, width - 1));
}
