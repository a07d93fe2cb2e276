import type { StatelyInspectionEvent } from '@statelyai/inspect';
import { describe, expect, it } from 'vitest';
import { isAllowedOrigin } from '../../src/inspect/inspector-bridge.js';
import { createLiveActors } from '../../src/inspect/live-actors.js';

describe('isAllowedOrigin', () => {
  it('lets in non-browser clients and the bridge page itself, on any loopback port', () => {
    expect(isAllowedOrigin(undefined, '127.0.0.1:9090')).toBe(true);
    expect(isAllowedOrigin('http://127.0.0.1:9090', '127.0.0.1:9090')).toBe(true);
    expect(isAllowedOrigin('http://localhost:2222', 'localhost:2222')).toBe(true);
    expect(isAllowedOrigin('http://[::1]:9090', '[::1]:9090')).toBe(true);
  });

  it('keeps out other sites, rebound names and opaque origins', () => {
    expect(isAllowedOrigin('https://evil.example', '127.0.0.1:9090')).toBe(false);
    expect(isAllowedOrigin('http://evil.example:9090', 'evil.example:9090')).toBe(false);
    expect(isAllowedOrigin('null', '127.0.0.1:9090')).toBe(false);
    expect(isAllowedOrigin('http://127.0.0.1:9090', undefined)).toBe(false);
  });
});

const base = { _version: '0', createdAt: '0', id: '', rootId: 'x:0' };
const actor = (sessionId: string, parentId?: string): StatelyInspectionEvent => ({
  ...base,
  type: '@xstate.actor',
  name: sessionId,
  sessionId,
  parentId,
  definition: undefined,
  snapshot: { status: 'active' },
});
const snapshot = (sessionId: string, status: 'active' | 'done' | 'stopped', value: string) =>
  ({
    ...base,
    type: '@xstate.snapshot',
    sessionId,
    event: { type: 'x' },
    snapshot: { status, value, output: undefined, error: undefined },
  }) as StatelyInspectionEvent;

describe('createLiveActors', () => {
  it('replays each live actor, parents first, with its latest snapshot', () => {
    const live = createLiveActors();
    const feed = (event: StatelyInspectionEvent, message: string) => live.record(event, message);
    feed(actor('tower'), 'A tower');
    feed(snapshot('tower', 'active', 'running'), 'S tower running');
    feed(actor('minion', 'tower'), 'A minion');
    feed(snapshot('minion', 'active', 'connecting'), 'S minion connecting');
    feed(actor('poller', 'minion'), 'A poller');
    feed(snapshot('minion', 'active', 'ready'), 'S minion ready');
    expect(live.messages()).toEqual(['A tower', 'S tower running', 'A minion', 'S minion ready', 'A poller']);

    // The minion ends; its poller is stopped with it whether or not its own snapshot says so.
    feed(snapshot('minion', 'done', 'removed'), 'S minion removed');
    expect(live.messages()).toEqual(['A tower', 'S tower running']);
    expect(live.size).toBe(1);
  });

  it('stops remembering new actors past its bound', () => {
    const live = createLiveActors(2);
    for (const id of ['a', 'b', 'c']) live.record(actor(id), `A ${id}`);
    expect(live.messages()).toEqual(['A a', 'A b']);
  });
});
