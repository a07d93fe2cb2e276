/**
 * The capability gate with fake time: repeats are no-ops, changes take effect at most once per
 * interval with only the newest one kept, the last word always wins, and the log stays bounded.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BoltTable } from '../../src/link/bolt-table.js';
import { CapabilityGate, CapabilityRules } from '../../src/link/capability-gate.js';
import { FakeBolt } from '../helpers/fake-bolt.js';
import { captureLog } from '../helpers/log-capture.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const INTERVAL_MS = 1000;

function gate() {
  const table = new BoltTable();
  const { log, lines } = captureLog();
  const bolt = new FakeBolt('gated', '10.0.0.1');
  table.add(bolt);
  const applied: (readonly number[])[] = [];
  table.on('capability', ({ ports }) => applied.push(ports ?? []));
  const capability = new CapabilityGate(new CapabilityRules(table, INTERVAL_MS, log, 'bolt'), bolt);
  /** Lines are written on the next turn; fake time does not hold them back. */
  const logged = async () => {
    await vi.waitFor(() => undefined);
    return lines.map((line) => [line.level, line.msg, line.ports, line.suppressed]);
  };
  return { capability, applied, bolt, logged };
}

describe('CapabilityGate', () => {
  it('applies the first capability at once and ignores repeats of the latest word', () => {
    const { capability, applied, bolt } = gate();
    capability.offer([80, 443], 'agent');
    for (let i = 0; i < 1000; i++) capability.offer([80, 443]);
    vi.advanceTimersByTime(10 * INTERVAL_MS);
    expect(applied).toEqual([[80, 443]]);
    expect(bolt.ports).toEqual([80, 443]);
  });

  it('holds changes within the interval as one pending list, and applies only the newest', () => {
    const { capability, applied } = gate();
    capability.offer([1]);
    for (let port = 2; port <= 5000; port++) capability.offer([port]);
    expect(applied).toEqual([[1]]);
    vi.advanceTimersByTime(INTERVAL_MS - 1);
    expect(applied).toEqual([[1]]);
    vi.advanceTimersByTime(1);
    expect(applied).toEqual([[1], [5000]]);
    // A change right after waits a whole interval again.
    capability.offer([6000]);
    vi.advanceTimersByTime(INTERVAL_MS - 1);
    expect(applied).toEqual([[1], [5000]]);
    vi.advanceTimersByTime(1);
    expect(applied).toEqual([[1], [5000], [6000]]);
  });

  it('applies a change at once when the interval has already passed', () => {
    const { capability, applied } = gate();
    capability.offer([1]);
    vi.advanceTimersByTime(INTERVAL_MS);
    capability.offer([2]);
    expect(applied).toEqual([[1], [2]]);
  });

  it('drops a pending change when the agent changes back: the last word is already in effect', () => {
    const { capability, applied } = gate();
    capability.offer([1]);
    capability.offer([2]);
    capability.offer([1]);
    vi.advanceTimersByTime(5 * INTERVAL_MS);
    expect(applied).toEqual([[1]]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('applies nothing after stop', () => {
    const { capability, applied } = gate();
    capability.offer([1]);
    capability.offer([2]);
    capability.stop();
    vi.advanceTimersByTime(5 * INTERVAL_MS);
    expect(applied).toEqual([[1]]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('logs the first capability at info and then changes once per window, with the count held back', async () => {
    const { capability, logged } = gate();
    capability.offer([1], 'agent');
    for (let port = 2; port <= 121; port++) {
      capability.offer([port]);
      vi.advanceTimersByTime(INTERVAL_MS);
    }
    // 120 changes, one a second: the LimitLog window (60 s) lets two lines through.
    expect(await logged()).toEqual([
      [30, 'bolt capability', [1], undefined],
      [30, 'bolt capability changed', [2], undefined],
      [30, 'bolt capability changed', [62], 59],
    ]);
  });
});
