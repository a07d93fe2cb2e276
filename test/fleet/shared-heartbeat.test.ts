/**
 * A tower holds a heartbeat per bolt; they must all wait on one timer, not two each, and still keep
 * every bolt's own deadlines to the millisecond.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat, runningHeartbeats } from '../../src/bolt/mux/heartbeat.js';

afterEach(() => {
  vi.useRealTimers();
});

const start = (intervalMs: number, validityMs: number) => {
  const pings: number[] = [];
  let expiredAt: number | undefined;
  const heartbeat = new Heartbeat({
    intervalMs,
    validityMs,
    ping: () => pings.push(Date.now()),
    expire: () => {
      expiredAt = Date.now();
      heartbeat.stop();
    },
  });
  return { heartbeat, pings, expiredAt: () => expiredAt };
};

describe('shared heartbeat timer', () => {
  it('runs a thousand heartbeats on one timer', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const before = runningHeartbeats();
    const beats = Array.from({ length: 1_000 }, (_, i) => start(1_000 + (i % 7), 3_000 + i));
    expect(vi.getTimerCount()).toBe(1);
    expect(runningHeartbeats()).toBe(before + 1_000);
    for (const { heartbeat } of beats) heartbeat.stop();
    expect(runningHeartbeats()).toBe(before);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps each heartbeat on its own cadence, pinging and expiring to the millisecond', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const t0 = Date.now();
    const fast = start(1_000, 3_500);
    vi.advanceTimersByTime(250);
    const slow = start(1_500, 10_000);
    vi.advanceTimersByTime(1_250);
    // Heard at 1.5 s: the fast one's expiry moves to 5 s.
    fast.heartbeat.heard();
    vi.advanceTimersByTime(3_499);
    expect(fast.pings.map((at) => at - t0)).toEqual([1_000, 2_000, 3_000, 4_000]);
    expect(fast.expiredAt()).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(fast.expiredAt()).toBe(t0 + 5_000);
    vi.advanceTimersByTime(5_250);
    expect(slow.pings.map((at) => at - t0)).toEqual([1_750, 3_250, 4_750, 6_250, 7_750, 9_250]);
    expect(slow.expiredAt()).toBe(t0 + 10_250);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps the other heartbeats going when one callback throws', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const broken = new Heartbeat({
      intervalMs: 1_000,
      validityMs: 60_000,
      ping: () => {
        throw new Error('ping failed');
      },
      expire: () => {},
    });
    const healthy = start(1_000, 60_000);
    expect(() => vi.advanceTimersByTime(1_000)).toThrow('ping failed');
    vi.advanceTimersByTime(2_000);
    expect(healthy.pings).toHaveLength(3);
    broken.stop();
    healthy.heartbeat.stop();
  });
});
