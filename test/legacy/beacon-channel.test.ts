/**
 * The legacy validity window on a fake clock: expiry lands at the window itself (the original
 * counted down in 5 s steps), which a test on real timers cannot show on a busy machine.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BeaconChannel } from '../../src/legacy/beacon-channel.js';
import type { MuxDemuxSession } from '../../src/legacy/mux-demux-session.js';

afterEach(() => {
  vi.useRealTimers();
});

// A session that cannot open the beacon stream: the window is armed all the same.
const noStream = { open: () => undefined } as unknown as MuxDemuxSession;

const watched = (validityMs: number) => {
  const expired: number[] = [];
  const channel = new BeaconChannel(validityMs, {
    expire: (silentMs) => expired.push(silentMs),
    outputStuckSince: () => undefined,
    stalled: () => {},
  });
  channel.start(noStream);
  return { channel, expired };
};

describe('the beacon validity window', () => {
  it('expires a silent connection at the window to the millisecond, at any scale', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const short = watched(1_000);
    const long = watched(45_000);
    vi.advanceTimersByTime(999);
    expect(short.expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(short.expired).toEqual([1_000]);
    vi.advanceTimersByTime(45_000 - 1_000 - 1);
    expect(long.expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(long.expired).toEqual([45_000]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('expires nothing once stopped', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { channel, expired } = watched(1_000);
    channel.stop();
    vi.advanceTimersByTime(10_000);
    expect(expired).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
