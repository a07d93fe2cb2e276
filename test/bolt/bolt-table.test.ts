/**
 * The bolt table's rule for two bolts with one cname: a live holder keeps it and the newcomer is
 * refused, unless told to replace; a holder silent past the live window is replaced either way.
 * Time is faked (`Date` only), bolts are fakes: the rule, not the transport.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BoltConflict, BoltTable, type BoltTableOptions } from '../../src/link/bolt-table.js';
import { FakeBolt } from '../helpers/fake-bolt.js';

beforeEach(() => vi.useFakeTimers({ toFake: ['Date'] }));
afterEach(() => vi.useRealTimers());

const WINDOW_MS = 2000;

function table(options: BoltTableOptions = {}) {
  const bolts = new BoltTable({ liveWindowMs: WINDOW_MS, ...options });
  const conflicts: BoltConflict[] = [];
  const closed: string[] = [];
  bolts.on('conflict', (conflict) => conflicts.push(conflict));
  bolts.on('closed', (bolt) => closed.push(bolt.boltId));
  /** A bolt that reports its close to the table, as both transports do. */
  const bolt = (cname: string, address: string) => {
    const fake = new FakeBolt(cname, address);
    fake.onClose = (reason) => bolts.removed(fake, reason, 'closed');
    return fake;
  };
  return { bolts, conflicts, closed, bolt };
}

describe('BoltTable, one cname', () => {
  it('refuses a second bolt while the holder is alive, and counts it on the holder', () => {
    const { bolts, conflicts, closed, bolt } = table();
    const holder = bolt('twin', '10.0.0.1');
    expect(bolts.add(holder)).toBe(true);
    vi.advanceTimersByTime(WINDOW_MS - 1);

    for (const address of ['10.0.0.2', '10.0.0.3']) {
      const contender = bolt('twin', address);
      expect(bolts.add(contender)).toBe(false);
      expect(contender.closes).toEqual(['conflict']);
    }
    expect(bolts.get('twin')).toBe(holder);
    expect(holder.closes).toEqual([]);
    expect(holder).toMatchObject({ conflicts: 2, lastConflictAddress: '10.0.0.3' });
    expect(conflicts.map(({ contender, outcome }) => [contender.address, outcome])).toEqual([
      ['10.0.0.2', 'refused'],
      ['10.0.0.3', 'refused'],
    ]);
    // A refused bolt was never listed: its close is not reported.
    expect(closed).toEqual([]);
  });

  it('replaces a holder silent for the live window, without counting a conflict', () => {
    const { bolts, conflicts, bolt } = table();
    const stale = bolt('phoenix', '10.0.0.1');
    bolts.add(stale);
    vi.advanceTimersByTime(WINDOW_MS);
    const restarted = bolt('phoenix', '10.0.0.1');
    expect(bolts.add(restarted)).toBe(true);
    expect(stale.closes).toEqual(['replaced']);
    expect(bolts.get('phoenix')).toBe(restarted);
    expect(restarted).toMatchObject({ conflicts: 0, lastConflictAddress: null });
    expect(conflicts).toEqual([]);
  });

  it('keeps a holder that was heard from lately, however old the bolt', () => {
    const { bolts, bolt } = table();
    const holder = bolt('steady', '10.0.0.1');
    bolts.add(holder);
    vi.advanceTimersByTime(10 * WINDOW_MS);
    holder.lastHeardAt = Date.now() - 10;
    expect(bolts.add(bolt('steady', '10.0.0.2'))).toBe(false);
  });

  it("with onDuplicate 'replace', the newest wins and the count follows the cname", () => {
    const { bolts, conflicts, closed, bolt } = table({ onDuplicate: 'replace' });
    const a = bolt('flap', '10.0.0.1');
    const b = bolt('flap', '10.0.0.2');
    const c = bolt('flap', '10.0.0.1');
    for (const next of [a, b, c]) expect(bolts.add(next)).toBe(true);
    expect(a.closes).toEqual(['replaced']);
    expect(b.closes).toEqual(['replaced']);
    expect(bolts.get('flap')).toBe(c);
    expect(c).toMatchObject({ conflicts: 2, lastConflictAddress: '10.0.0.2' });
    expect(conflicts.map(({ outcome }) => outcome)).toEqual(['replaced', 'replaced']);
    // Replaced bolts are reported once, when replaced, and never remove their successor.
    expect(closed).toEqual([a.boltId, b.boltId]);
  });

  it('reports a replaced bolt closed before its successor connected, and nothing about it after', () => {
    const bolts = new BoltTable({ liveWindowMs: WINDOW_MS, onDuplicate: 'replace' });
    const events: string[] = [];
    bolts.on('connected', (bolt) => events.push(`connected ${bolt.address}`));
    bolts.on('closed', (bolt, { reason }) => events.push(`closed ${bolt.address} ${reason}`));
    bolts.on('capability', (bolt) => events.push(`capability ${bolt.address}`));
    // A transport whose close is reported later, as a real socket's is.
    const old = new FakeBolt('late', '10.0.0.1');
    const successor = new FakeBolt('late', '10.0.0.2');
    bolts.add(old);
    bolts.add(successor);
    bolts.announce(old, [5000]);
    expect(bolts.removed(old, 'closed', 'the socket closed')).toBe(true);
    bolts.announce(successor, [5000]);
    expect(events).toEqual([
      'connected 10.0.0.1',
      'closed 10.0.0.1 replaced',
      'connected 10.0.0.2',
      'capability 10.0.0.2',
    ]);
    expect(bolts.get('late')).toBe(successor);
  });

  it('lets the next bolt in at once when the holder has closed', () => {
    const { bolts, conflicts, bolt } = table();
    const first = bolt('next', '10.0.0.1');
    bolts.add(first);
    first.close('shutdown', 'agent stopping');
    expect(bolts.get('next')).toBeUndefined();
    expect(bolts.add(bolt('next', '10.0.0.2'))).toBe(true);
    expect(conflicts).toEqual([]);
  });
});
