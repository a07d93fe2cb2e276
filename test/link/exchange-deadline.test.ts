/**
 * The settle-once scaffold both transports' relays stand on: the head timer and the caller's signal
 * each fail the exchange with their own code, and whatever races, it settles and reports once.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExchangeDeadline } from '../../src/link/exchange-deadline.js';
import { RelayError } from '../../src/link/relay-error.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function deadline(options: { timeoutMs?: number; signal?: AbortSignal } = {}) {
  const failures: RelayError[] = [];
  const made = new ExchangeDeadline(
    { timeoutMs: options.timeoutMs ?? 1000, signal: options.signal },
    'reply',
    (error) => failures.push(error),
  );
  return { deadline: made, failures };
}

describe('ExchangeDeadline', () => {
  it('fails with timeout once the head has not come in time', () => {
    const { deadline: d, failures } = deadline({ timeoutMs: 500 });
    vi.advanceTimersByTime(499);
    expect(failures).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(failures).toMatchObject([{ code: 'timeout', message: 'no reply within 500 ms' }]);
    expect(d.settled).toBe(true);
  });

  it('fails with upstream-failed when the caller aborts, and the timer is gone', () => {
    const caller = new AbortController();
    const { failures } = deadline({ signal: caller.signal });
    caller.abort();
    expect(failures).toMatchObject([{ code: 'upstream-failed', message: 'request aborted' }]);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(failures).toHaveLength(1);
  });

  it('fails at once, starting nothing, when the signal was aborted before', () => {
    const { deadline: d, failures } = deadline({ signal: AbortSignal.abort() });
    expect(d.settled).toBe(true);
    expect(failures).toMatchObject([{ code: 'upstream-failed', message: 'request aborted' }]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('settle() wins once: no timeout, no abort and no later failure after it', () => {
    const caller = new AbortController();
    const remove = vi.spyOn(caller.signal, 'removeEventListener');
    const { deadline: d, failures } = deadline({ signal: caller.signal });
    expect(d.settle()).toBe(true);
    expect(d.settle()).toBe(false);
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
    caller.abort();
    vi.advanceTimersByTime(10_000);
    expect(d.fail(new RelayError('protocol', 'late'))).toBe(false);
    expect(failures).toEqual([]);
  });

  it('fail() reports the first failure only', () => {
    const { deadline: d, failures } = deadline();
    const first = new RelayError('bolt-lost', 'gone');
    expect(d.fail(first)).toBe(true);
    expect(d.fail(new RelayError('protocol', 'late'))).toBe(false);
    vi.advanceTimersByTime(10_000);
    expect(failures).toEqual([first]);
  });
});
