/**
 * Number formatting for the table: thousands separators, sensible decimals, ratios as "2.63x".
 */

export const int = (n: number): string => Math.round(n).toLocaleString('en-US');

export function ms(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  if (n < 10) return `${n.toFixed(2)} ms`;
  if (n < 100) return `${n.toFixed(1)} ms`;
  return `${int(n)} ms`;
}

/** A difference in milliseconds, always with its sign. */
export const signedMs = (n: number): string => `${n >= 0 ? '+' : '-'}${ms(Math.abs(n))}`;

export const seconds = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(1)} s` : 'n/a');

export const ratio = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}x` : 'n/a');

/** For goal rows: enough digits that 0.498 never reads as the 0.50 it fails to reach. */
export const preciseRatio = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(3)}x` : 'n/a');

export const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1)} MB`;

export const mbPerSec = (bytesPerSec: number): string => `${int(bytesPerSec / 1e6)} MB/s`;

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Signed size change, for memory growth. */
export const growth = (bytes: number): string =>
  `${bytes >= 0 ? '+' : '-'}${(Math.abs(bytes) / 2 ** 20).toFixed(1)} MiB`;

/** The q-quantile (0..1) of `values` by nearest rank; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);
