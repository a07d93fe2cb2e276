import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LimitLog } from '../../src/log/limit-log.js';
import { captureLog } from '../helpers/log-capture.js';

describe('LimitLog', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'] }));
  afterEach(() => vi.useRealTimers());

  it('logs a peer once per window, then again with the count it held back', async () => {
    const { lines, log } = captureLog();
    const limits = new LimitLog(log, { windowMs: 1000 });
    for (let i = 0; i < 1000; i++)
      limits.hit('10.0.0.1', 'maxHandshakes', { remote: '10.0.0.1' }, 'limit hit');
    limits.hit('10.0.0.2', 'maxHandshakes', { remote: '10.0.0.2' }, 'limit hit');
    limits.hit('10.0.0.1', 'otherLimit', { remote: '10.0.0.1' }, 'other limit hit');
    vi.advanceTimersByTime(1000);
    limits.hit('10.0.0.1', 'maxHandshakes', { remote: '10.0.0.1' }, 'limit hit');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((line) => [line.remote, line.limit, line.suppressed])).toEqual([
      ['10.0.0.1', 'maxHandshakes', undefined],
      ['10.0.0.2', 'maxHandshakes', undefined],
      ['10.0.0.1', 'otherLimit', undefined],
      ['10.0.0.1', 'maxHandshakes', 999],
    ]);
  });

  it('remembers at most maxPeers pairs', () => {
    const { log } = captureLog();
    const limits = new LimitLog(log, { maxPeers: 10 });
    for (let i = 0; i < 1000; i++) limits.hit(`peer-${i}`, 'x', {}, 'hit');
    expect(limits.size).toBe(10);
  });
});
