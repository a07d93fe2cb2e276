/** How times and checksums read in the console. */

/** `12:04:31`, local time; blank for never. */
export function clock(at: number | null): string {
  if (at === null) return '';
  return new Date(at).toLocaleTimeString([], { hour12: false });
}

/** `3h 02m`, `4m 09s`, `12s`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** The first 8 hex digits: enough to tell two checksums apart at a glance. */
export const short = (checksum: string | null): string => (checksum === null ? '—' : checksum.slice(0, 8));
