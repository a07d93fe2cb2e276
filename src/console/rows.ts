/**
 * The table's rows in order: filtered by text and state, sorted by any column; and the window of
 * them a scroll position shows, so only those are in the DOM (virtual scrolling).
 */
import type { FleetState } from '../api/console/fleet-contract.js';
import type { Row } from './fleet-store.js';

export const COLUMNS = [
  { key: 'cname', label: 'cname' },
  { key: 'state', label: 'state' },
  { key: 'transport', label: 'transport' },
  { key: 'address', label: 'address' },
  { key: 'connectedAt', label: 'connected since' },
  { key: 'lastPollAt', label: 'last poll' },
  { key: 'lastChangeAt', label: 'last change' },
  { key: 'checksum', label: 'checksum' },
  { key: 'lastError', label: 'last error' },
] as const;

export type ColumnKey = (typeof COLUMNS)[number]['key'];

export interface RowQuery {
  readonly text: string;
  readonly state: FleetState | '';
  readonly sortBy: ColumnKey;
  readonly descending: boolean;
}

const sortValue = (row: Row, key: ColumnKey): string | number | null =>
  key === 'lastError' ? (row.lastError?.message ?? null) : row[key];

function compare(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  // Blanks last, whichever the direction.
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

const matches = (row: Row, text: string): boolean =>
  row.cname.toLowerCase().includes(text) ||
  row.address.toLowerCase().includes(text) ||
  (row.checksum ?? '').includes(text) ||
  (row.lastError?.message.toLowerCase().includes(text) ?? false);

export function selectRows(rows: Iterable<Row>, query: RowQuery): Row[] {
  const text = query.text.trim().toLowerCase();
  const selected: Row[] = [];
  for (const row of rows) {
    if (query.state !== '' && row.state !== query.state) continue;
    if (text !== '' && !matches(row, text)) continue;
    selected.push(row);
  }
  const sign = query.descending ? -1 : 1;
  return selected.sort((a, b) => {
    const va = sortValue(a, query.sortBy);
    const vb = sortValue(b, query.sortBy);
    if (va === null || vb === null) return compare(va, vb) || compare(a.cname, b.cname);
    return sign * compare(va, vb) || compare(a.cname, b.cname);
  });
}

export interface RowWindow {
  readonly first: number;
  /** One past the last row shown. */
  readonly end: number;
}

/** Rows drawn beyond each edge of the viewport, so a quick scroll does not show blanks. */
export const OVERSCAN = 10;

export function rowWindow(scrollTop: number, viewport: number, rowHeight: number, count: number): RowWindow {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const end = Math.min(count, Math.ceil((scrollTop + viewport) / rowHeight) + OVERSCAN);
  return { first, end: Math.max(first, end) };
}
