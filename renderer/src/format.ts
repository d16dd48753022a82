/** How numbers, sizes, times and durations read everywhere in the UI (sizes and durations as in the CLI). */
import { formatBytes } from '../../main/shared/units';

export { formatBytes, formatDuration } from '../../main/shared/units';

export const formatRate = (bytesPerSecond: number) => `${formatBytes(bytesPerSecond)}/s`;

export function formatTime(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
}

export const percent = (fraction: number) => `${Math.floor(Math.min(1, Math.max(0, fraction)) * 100)}%`;
