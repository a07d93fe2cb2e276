import { describe, expect, it } from 'vitest';
import { PollError } from '../../machines/minion-link.js';
import { sanitizeContext, sanitizeEvent, sanitizeSnapshot } from '../../src/inspect/sanitize.js';
import { expectClean, PEM, readyMinionContext, secretLink, secretStatus, T0, TOKEN } from './fixtures.js';

describe('sanitizeContext', () => {
  const expected = {
    cname: 'alpha',
    boltId: 'b1',
    ports: [5000, 8080],
    checksum: '5d41402abc4b2a76b9719d911017c592',
    lastError: { code: 'invalid-json', message: '[redacted]', at: T0 + 30_000 },
    consecutiveFailures: 1,
    connectedAt: T0,
    lastPollAt: T0 + 30_000,
    lastChangeAt: T0 + 15_000,
    removedReason: null,
  };

  it('keeps a minion its ids, ports, checksum, times and error, and drops document, link and settings', () => {
    const context = readyMinionContext();
    expect(JSON.stringify(context.document)).toContain(TOKEN);
    const sanitized = sanitizeContext(context);
    expect(sanitized).toEqual(expected);
    expectClean(sanitized);
  });

  it('reads the JSON copy the library hands over for snapshots the same way', () => {
    const copy: unknown = JSON.parse(JSON.stringify(readyMinionContext()));
    expect(sanitizeContext(copy)).toEqual(expected);
  });

  it('shows a shard as the cnames it holds a minion for, the tower as its shard count', () => {
    const shard = {
      minions: new Map([
        ['alpha', { boltId: 'b1', ref: { id: 'minion:alpha:b1' } }],
        ['beta', { boltId: 'b7', ref: {} }],
      ]),
      defaults: { capabilityTimeout: 5_000, pollTimeout: 3_000, warn: () => {} },
    };
    expect(sanitizeContext(shard)).toEqual({ minions: ['alpha', 'beta'] });
    const tower = { shards: [undefined, { id: 'shard:1' }, undefined], defaults: shard.defaults };
    expect(sanitizeContext(tower)).toEqual({ shards: 1 });
  });

  it('shows nothing of any other context: a poller, a promise actor, junk', () => {
    const poller = { cname: 'alpha', link: secretLink('alpha'), slots: {}, failures: 0, startedAt: T0 };
    for (const context of [poller, undefined, null, 'text', [1, 2], { document: secretStatus('a') }]) {
      expect(sanitizeContext(context)).toEqual({});
    }
  });
});

describe('sanitizeEvent', () => {
  it('strips the link from bolt.connected and keeps the identities', () => {
    const event = {
      type: 'bolt.connected',
      cname: 'alpha',
      boltId: 'b1',
      link: secretLink('alpha'),
      connectedAt: T0,
    };
    expect(sanitizeEvent(event)).toEqual({
      type: 'bolt.connected',
      cname: 'alpha',
      boltId: 'b1',
      connectedAt: T0,
    });
  });

  it('keeps ports and reasons of the other bolt events', () => {
    expect(sanitizeEvent({ type: 'bolt.capability', cname: 'a', boltId: 'b1', ports: [5000, 'x'] })).toEqual({
      type: 'bolt.capability',
      cname: 'a',
      boltId: 'b1',
      ports: [5000],
    });
    expect(sanitizeEvent({ type: 'bolt.closed', reason: 'expired' })).toEqual({
      type: 'bolt.closed',
      reason: 'expired',
    });
  });

  it('keeps the checksum of a poll result, never its document', () => {
    const document = { ...secretStatus('alpha'), id: 'alpha' };
    const received = { type: 'status.received', document, checksum: 'abc123', foreignId: TOKEN, at: T0 };
    expect(sanitizeEvent(received)).toEqual({ type: 'status.received', checksum: 'abc123', at: T0 });
    const pollDone = {
      type: 'xstate.done.actor.0.poller.slotted.polling',
      output: { document, checksum: 'abc123' },
    };
    expect(sanitizeEvent(pollDone)).toEqual({ type: pollDone.type, output: { checksum: 'abc123' } });
  });

  it('keeps the code and message of failures and errors', () => {
    const failed = {
      type: 'status.failed',
      failure: { code: 'timeout', message: 'no status within 3000 ms', at: T0 },
    };
    expect(sanitizeEvent(failed)).toEqual(failed);
    const thrown = {
      type: 'xstate.error.actor.x',
      error: new PollError('invalid-json', `starts with ${PEM}`),
    };
    expect(sanitizeEvent(thrown)).toEqual({
      type: 'xstate.error.actor.x',
      error: { name: 'PollError', code: 'invalid-json', message: '[redacted]' },
    });
  });

  it('drops the input of xstate.init, which holds the link, and survives junk', () => {
    const init = { type: 'xstate.init', input: { cname: 'alpha', link: secretLink('alpha') } };
    expect(sanitizeEvent(init)).toEqual({ type: 'xstate.init' });
    expect(sanitizeEvent(null)).toEqual({ type: 'unknown' });
    expect(sanitizeEvent({ type: 42, document: {} })).toEqual({ type: 'unknown' });
  });
});

describe('sanitizeSnapshot', () => {
  it('drops the input a promise actor keeps and the document in its output', () => {
    const polled = {
      status: 'done',
      output: { document: secretStatus('alpha'), checksum: 'abc123' },
      error: undefined,
      input: { link: secretLink('alpha'), cname: 'alpha' },
    };
    const sanitized = sanitizeSnapshot(polled);
    expect(sanitized).toMatchObject({ status: 'done', output: { checksum: 'abc123' }, context: {} });
    expectClean(sanitized);
  });

  it('keeps status, value and context of a machine, not its machine or children', () => {
    const snapshot = {
      status: 'active',
      value: { slotted: 'polling' },
      context: { minions: ['alpha'] },
      children: { poller: { input: { link: secretLink('alpha') } } },
      machine: { config: { context: { key: PEM } } },
    };
    expect(JSON.parse(JSON.stringify(sanitizeSnapshot(snapshot)))).toEqual({
      status: 'active',
      value: { slotted: 'polling' },
      context: { minions: ['alpha'] },
    });
    expect(sanitizeSnapshot({ status: 'error', error: new Error('boom'), context: 7 })).toMatchObject({
      status: 'error',
      error: { name: 'Error', message: 'boom' },
      context: {},
    });
  });
});
