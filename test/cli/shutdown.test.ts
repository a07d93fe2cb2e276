/**
 * `onShutdown`: a signal stops the command cleanly, and the process ends within the grace time
 * whatever the stop waits on. Signals come from a plain emitter and time from fake timers.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { onShutdown } from '../../src/cli/fail.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function harness(stop: () => Promise<void>, graceSeconds?: number) {
  const signals = new EventEmitter();
  const exit = vi.fn<(code: number) => void>();
  const reports: string[] = [];
  onShutdown(stop, {
    ...(graceSeconds === undefined ? {} : { graceSeconds }),
    signals: signals as unknown as NodeJS.Process,
    exit,
    report: (message) => reports.push(message),
  });
  return { signals, exit, reports };
}

describe('onShutdown', () => {
  it('exits 0 once the stop has finished', async () => {
    const stop = vi.fn(() => Promise.resolve());
    const { signals, exit, reports } = harness(stop);
    signals.emit('SIGTERM', 'SIGTERM');
    await vi.advanceTimersByTimeAsync(0);
    expect(stop).toHaveBeenCalledOnce();
    expect(exit.mock.calls).toEqual([[0]]);
    expect(reports).toEqual([]);
    // The grace timer went with the stop: nothing more happens later.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(exit.mock.calls).toEqual([[0]]);
  });

  it('exits 1 after the grace time when the stop never finishes, and not before', async () => {
    const stop = vi.fn(() => new Promise<void>(() => {}));
    const { signals, exit, reports } = harness(stop, 2);
    signals.emit('SIGINT', 'SIGINT');
    await vi.advanceTimersByTimeAsync(1_999);
    expect(exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(exit.mock.calls).toEqual([[1]]);
    expect(reports).toEqual(['the stop took longer than its grace of 2 s: exiting']);
  });

  it('waits 5 s by default', async () => {
    const { signals, exit } = harness(() => new Promise<void>(() => {}));
    signals.emit('SIGTERM', 'SIGTERM');
    await vi.advanceTimersByTimeAsync(4_999);
    expect(exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(exit.mock.calls).toEqual([[1]]);
  });

  it('exits 1 at once on a second signal, and stops only once', async () => {
    const stop = vi.fn(() => new Promise<void>(() => {}));
    const { signals, exit, reports } = harness(stop, 30);
    signals.emit('SIGTERM', 'SIGTERM');
    signals.emit('SIGTERM', 'SIGTERM');
    expect(stop).toHaveBeenCalledOnce();
    expect(exit.mock.calls).toEqual([[1]]);
    expect(reports).toEqual(['SIGTERM again: exiting without waiting for the stop to finish']);
  });

  it('exits 1 with the reason when the stop fails', async () => {
    const { signals, exit, reports } = harness(() => Promise.reject(new Error('listener stuck')));
    signals.emit('SIGTERM', 'SIGTERM');
    await vi.advanceTimersByTimeAsync(0);
    expect(exit.mock.calls).toEqual([[1]]);
    expect(reports).toEqual(['the stop failed: listener stuck']);
  });
});
