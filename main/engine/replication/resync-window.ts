/**
 * Resync windows: the hours in which a resynchronization may run by itself, `HH:MM-HH:MM` in this machine's local
 * time (default 18:00-06:00, outside office hours, as seed 002 has it). A window whose end is before its start spans
 * midnight; equal ends mean all day. Pure functions of a given instant, so tests pass the clock's.
 */
import { LifeboatError } from '../../shared/errors';

export const DEFAULT_WINDOW = '18:00-06:00';

const FORMAT = /^([01]?\d|2[0-3]):([0-5]\d)-([01]?\d|2[0-3]):([0-5]\d)$/;

/** Minutes after local midnight of the window's start and end; throws invalid_input naming `field`. */
export function parseWindow(text: string, field = 'resync-window'): { start: number; end: number; text: string } {
  const m = FORMAT.exec(text.replace(/\s+/g, ''));
  if (!m)
    throw new LifeboatError(
      'invalid_input',
      `--${field}: "${text}" is not a time window.`,
      'Give local start and end times as HH:MM-HH:MM, e.g. 18:00-06:00.',
    );
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  const pad = (n: number) => `${String(Math.floor(n / 60)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}`;
  return { start, end, text: `${pad(start)}-${pad(end)}` };
}

export function inWindow(window: string, now: Date): boolean {
  const { start, end } = parseWindow(window);
  const t = now.getHours() * 60 + now.getMinutes();
  if (start === end) return true;
  return start < end ? t >= start && t < end : t >= start || t < end;
}

/** The next time the window opens after `now` (now itself when it is open). */
export function nextOpening(window: string, now: Date): Date {
  if (inWindow(window, now)) return now;
  const { start } = parseWindow(window);
  const at = new Date(now);
  at.setHours(Math.floor(start / 60), start % 60, 0, 0);
  if (at <= now) at.setDate(at.getDate() + 1);
  return at;
}
