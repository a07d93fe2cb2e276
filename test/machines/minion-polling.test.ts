import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { PollError, type PollErrorCode } from '../../machines/minion-link.js';
import { goodStatus, startMinion, T0 } from './minion-harness.js';

const CODES: PollErrorCode[] = [
  'timeout',
  'http-status',
  'too-large',
  'invalid-json',
  'not-object',
  'unreachable',
];

describe('poll failures', () => {
  it.each(CODES)('records a %s failure in monitoring without crashing', async (code) => {
    const h = startMinion();
    await h.connect();
    await h.advance(250);
    await h.fail(new PollError(code, `failed with ${code}`));

    expect(h.state()).toBe('monitoring');
    expect(h.view()).toMatchObject({
      lastError: { code, message: `failed with ${code}`, at: T0 + 250 },
      consecutiveFailures: 1,
      lastPollAt: T0 + 250,
      document: null,
    });
    expect(h.seen.errors).toEqual([]);
  });

  it.each([
    ['an Error', new Error('socket hang up'), 'socket hang up'],
    ['a thrown string', 'boom', 'boom'],
  ])('maps %s to unreachable', async (_, error, message) => {
    const h = startMinion();
    await h.connect();
    await h.fail(error);
    expect(h.view().lastError).toEqual({ code: 'unreachable', message, at: T0 });
  });

  it('treats a link that resolves with a non-object as not-object', async () => {
    const h = startMinion();
    await h.connect();
    await h.answer([1, 2] as never);
    expect(h.view().lastError?.code).toBe('not-object');
  });

  it('keeps serving the held document in ready, then a success resets the count and clears lastError', async () => {
    const h = startMinion();
    await h.toReady();
    const { document, checksum } = h.view();

    await h.advance(15_000);
    await h.fail(new PollError('http-status', 'HTTP 502'));
    await h.advance(1_000);
    await h.fail(new PollError('invalid-json', 'Unexpected token <'));
    expect(h.state()).toBe('ready');
    expect(h.view()).toMatchObject({ document, checksum, consecutiveFailures: 2 });
    expect(h.view().lastError?.code).toBe('invalid-json');

    await h.advance(2_000);
    await h.answer(goodStatus());
    expect(h.state()).toBe('ready');
    expect(h.view()).toMatchObject({ consecutiveFailures: 0, lastError: null });
  });

  it('backs off min(interval, 1000 * 2^(n-1)) after n failures, from the failure', async () => {
    const h = startMinion({ retryBase: 1_000, monitorInterval: 15_000 });
    await h.connect();
    for (const delay of [1_000, 2_000, 4_000, 8_000, 15_000, 15_000]) {
      const polls = h.link.polls.length;
      await h.fail(new PollError('unreachable', 'port not offered'));
      await h.advance(delay - 1);
      expect(h.link.polls).toHaveLength(polls);
      await h.advance(1);
      expect(h.link.polls).toHaveLength(polls + 1);
    }
    expect(h.view().consecutiveFailures).toBe(6);
  });

  it('shortens the backoff by up to half with the jitter', async () => {
    const h = startMinion({ jitter: () => 0.5 });
    h.actor.send({ type: 'bolt.capability', ports: [] });
    await h.advance(500); // first poll: 0.5 of min(interval, 1 s)
    expect(h.link.polls).toHaveLength(1);
    await h.fail(new PollError('timeout', 'slow'));
    await h.advance(749); // 1000 - 0.5 * 1000 / 2
    expect(h.link.polls).toHaveLength(1);
    await h.advance(1);
    expect(h.link.polls).toHaveLength(2);
  });

  it('times out a hanging link, aborting its signal, and retries', async () => {
    const h = startMinion({ pollTimeout: 3_000 });
    await h.connect();
    const hanging = h.link.lastPoll();
    await h.advance(2_999);
    expect(hanging.signal.aborted).toBe(false);

    await h.advance(1);
    expect(hanging.signal.aborted).toBe(true);
    expect(h.link.inFlight).toBe(0);
    expect(h.view()).toMatchObject({
      lastError: { code: 'timeout', at: T0 + 3_000 },
      consecutiveFailures: 1,
    });

    await h.advance(1_000);
    expect(h.link.polls).toHaveLength(2);
    await h.answer(goodStatus());
    expect(h.state()).toBe('ready');
  });

  // An abort builds a DOMException with its stack and fires the signal's listeners: at 667 polls a
  // second in a 10,000 fleet, aborting every finished poll was a tenth of the tower's CPU.
  it('does not abort a poll that has settled, answered or failed', async () => {
    const h = startMinion();
    await h.connect();
    const answered = h.link.lastPoll();
    await h.answer(goodStatus());
    await h.advance(15_000);
    const failed = h.link.lastPoll();
    await h.fail(new PollError('http-status', 'status endpoint answered 500'));
    expect(h.link.polls).toHaveLength(2);
    expect([answered.signal.aborted, failed.signal.aborted]).toEqual([false, false]);
  });
});

describe('poll cadence', () => {
  it('starts each poll one interval after the previous one started', async () => {
    const h = startMinion({ monitorInterval: 15_000 });
    await h.connect();
    await h.advance(2_000); // the poll takes 2 s
    await h.answer(goodStatus());
    await h.advance(12_999);
    expect(h.link.polls).toHaveLength(1);
    await h.advance(1);
    expect(h.link.polls).toHaveLength(2);
  });

  it('never overlaps polls: a slow poll is followed right after it ends', async () => {
    const h = startMinion({ monitorInterval: 15_000, pollTimeout: 60_000 });
    await h.connect();
    await h.advance(20_000);
    expect(h.link.polls).toHaveLength(1);
    await h.answer(goodStatus());
    await h.advance(0);
    expect(h.link.polls).toHaveLength(2);
    expect(h.link.maxInFlight).toBe(1);
  });

  it('spreads first polls over min(interval, 1 s) with the jitter', async () => {
    const clock = new SimulatedClock();
    const jitters = [0, 0.25, 0.5, 0.75, 0.999];
    const minions = jitters.map((j) => startMinion({ clock, jitter: () => j, monitorInterval: 600 }));
    for (const m of minions) m.actor.send({ type: 'bolt.capability', ports: [] });
    const pollCounts = () => minions.map((m) => m.link.polls.length);

    // floor(jitter * min(600, 1000)): 0, 150, 300, 450, 599 ms after the capability.
    await minions[0]?.advance(0);
    expect(pollCounts()).toEqual([1, 0, 0, 0, 0]);
    await minions[0]?.advance(149);
    expect(pollCounts()).toEqual([1, 0, 0, 0, 0]);
    await minions[0]?.advance(1);
    expect(pollCounts()).toEqual([1, 1, 0, 0, 0]);
    await minions[0]?.advance(150);
    expect(pollCounts()).toEqual([1, 1, 1, 0, 0]);
    await minions[0]?.advance(150);
    expect(pollCounts()).toEqual([1, 1, 1, 1, 0]);
    await minions[0]?.advance(148);
    expect(pollCounts()).toEqual([1, 1, 1, 1, 0]);
    await minions[0]?.advance(1);
    expect(pollCounts()).toEqual([1, 1, 1, 1, 1]);
  });
});
