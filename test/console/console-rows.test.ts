/**
 * The console's pure parts, in Node: which rows a filter and sort give, which window of them a
 * scroll position shows, and how the store folds `GET /fleet` and the change feed.
 */
import { describe, expect, it } from 'vitest';
import type { FleetMinion } from '../../src/api/console/fleet-contract.js';
import { FLASH_MS, FleetStore, type Row } from '../../src/console/fleet-store.js';
import { OVERSCAN, rowWindow, selectRows } from '../../src/console/rows.js';

const minion = (cname: string, extra: Partial<FleetMinion> = {}): FleetMinion => ({
  cname,
  state: 'ready',
  transport: 'ws',
  address: '10.0.0.1',
  ports: [5000],
  connectedAt: 0,
  lastPollAt: null,
  lastChangeAt: null,
  checksum: null,
  lastError: null,
  consecutiveFailures: 0,
  ...extra,
});
const row = (cname: string, extra: Partial<FleetMinion> = {}): Row => ({
  ...minion(cname, extra),
  flashUntil: 0,
});

describe('selectRows', () => {
  const rows = [
    row('b', { lastPollAt: 5, address: '10.0.0.9' }),
    row('a', { state: 'connecting' }),
    row('c', { lastPollAt: 1, lastError: { code: 'timeout', message: 'no status', at: 1 } }),
  ];
  const base = { text: '', state: '', sortBy: 'cname', descending: false } as const;

  it('sorts by any column either way, blanks last and ties by cname', () => {
    expect(selectRows(rows, base).map((r) => r.cname)).toEqual(['a', 'b', 'c']);
    expect(selectRows(rows, { ...base, descending: true }).map((r) => r.cname)).toEqual(['c', 'b', 'a']);
    expect(selectRows(rows, { ...base, sortBy: 'lastPollAt' }).map((r) => r.cname)).toEqual(['c', 'b', 'a']);
    expect(selectRows(rows, { ...base, sortBy: 'lastPollAt', descending: true }).map((r) => r.cname)).toEqual(
      ['b', 'c', 'a'],
    );
  });

  it('filters by state and by text in cname, address, checksum or error', () => {
    expect(selectRows(rows, { ...base, state: 'connecting' }).map((r) => r.cname)).toEqual(['a']);
    expect(selectRows(rows, { ...base, text: '0.0.9' }).map((r) => r.cname)).toEqual(['b']);
    expect(selectRows(rows, { ...base, text: 'NO STATUS' }).map((r) => r.cname)).toEqual(['c']);
  });
});

describe('rowWindow', () => {
  it('covers the viewport plus the overscan, within the rows there are', () => {
    expect(rowWindow(0, 280, 28, 10_000)).toEqual({ first: 0, end: 10 + OVERSCAN });
    expect(rowWindow(28 * 5000, 280, 28, 10_000)).toEqual({ first: 5000 - OVERSCAN, end: 5010 + OVERSCAN });
    expect(rowWindow(28 * 9995, 280, 28, 10_000)).toEqual({ first: 9995 - OVERSCAN, end: 10_000 });
    expect(rowWindow(500, 280, 28, 0)).toEqual({ first: 7, end: 7 });
  });
});

describe('FleetStore', () => {
  it('patches a row from the feed, flashes it, lists the change with both checksums and keeps history', () => {
    const store = new FleetStore();
    store.load(
      { minions: [minion('a', { checksum: 'old' })], removed: [], at: 1000, startedAt: 0, global: 'g1' },
      1000,
    );
    store.feedEvent('changed', 'a', 'new', 'g2', 2000);
    expect(store.rows.get('a')).toMatchObject({
      checksum: 'new',
      flashUntil: 2000 + FLASH_MS,
      lastChangeAt: 2000,
    });
    expect(store.changes[0]).toEqual({ at: 2000, type: 'changed', id: 'a', old: 'old', new: 'new' });
    expect(store.global).toBe('g2');
    expect(store.historyOf('a').map((seen) => seen.checksum)).toEqual(['old', 'new']);
    // A later read keeps the flash and does not repeat a checksum already seen.
    store.load(
      { minions: [minion('a', { checksum: 'new' })], removed: [], at: 2100, startedAt: 0, global: 'g2' },
      2100,
    );
    expect(store.rows.get('a')?.flashUntil).toBe(2000 + FLASH_MS);
    expect(store.historyOf('a')).toHaveLength(2);
    store.feedEvent('removed', 'a', null, 'g3', 3000);
    expect(store.rows.get('a')?.state).toBe('removed');
    store.feedEvent('added', 'b', 'x', 'g4', 4000);
    expect(store.rows.get('b')).toMatchObject({ cname: 'b', checksum: 'x' });
    // A snapshot after a gap catches the checksums up without flashing.
    store.feedSnapshot('g5', [{ id: 'b', checksum: 'y' }]);
    expect(store.rows.get('b')).toMatchObject({ checksum: 'y', flashUntil: 4000 + FLASH_MS });
    expect(store.global).toBe('g5');
    // A minion the tower no longer lists has its history dropped.
    store.load(
      { minions: [minion('b', { checksum: 'y' })], removed: [], at: 5000, startedAt: 0, global: 'g5' },
      5000,
    );
    expect(store.historyOf('a')).toEqual([]);
    expect(store.historyOf('b').length).toBeGreaterThan(0);
  });
});
