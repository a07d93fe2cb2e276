/**
 * Legacy replies framed by the tower like any other: header values are checked before anything is
 * written (a bad one is a 502 in the API's error shape, never a 500 with a stack trace), and a reply
 * body or request body that stands still past `--relay-idle-timeout` aborts the exchange.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiErrorBody, api, closeAll, eventually } from '../helpers/harness.js';
import { rawHttp, splitResponse } from '../helpers/raw-http.js';
import type { LegacyAgent } from './legacy-agent.js';
import { framesOf, type LegacyTower, legacyAgent, legacyAnnounced, legacyTower } from './legacy-harness.js';

afterEach(closeAll);

const PORT = 7000;

/** A legacy agent that leaves relays to the test, which answers them frame by frame. */
async function handMade(settings: Parameters<typeof legacyTower>[0] = {}) {
  const legacy = await legacyTower(settings);
  const agent = await legacyAgent(legacy, 'alpha', [PORT], { ignoreRelays: true });
  await legacyAnnounced(legacy, 'alpha');
  return { legacy, agent };
}

/** Resolves with the id of the next relay stream the tower opens, and a way to send on it. */
async function opened(agent: LegacyAgent, index = 0) {
  const frame = await eventually(() => framesOf(agent, 'new', `relay:${PORT}`)[index]);
  const id = frame[0];
  const send = (...rest: unknown[]) => agent.sendRaw(`${JSON.stringify([id, ...rest])}\n`);
  return { id, send, reply: (preamble: object) => send('data', JSON.stringify(preamble)) };
}

const idle = (legacy: LegacyTower) => eventually(() => legacy.t.table.get('alpha')?.openStreams === 0);

describe('legacy reply headers', () => {
  it.each([
    ['a control character', 'a\u0001b'],
    ['a newline', 'a\r\nb: injected'],
    ['a character past Latin-1', 'snow \u2603'],
    ['a NUL', 'a\u0000b'],
  ])('answers 502 for a value with %s, and the bolt stays', async (_what, value) => {
    const { legacy, agent } = await handMade();
    const pending = api(legacy.t, `/proxy/alpha@${PORT}/`);
    const { reply, send } = await opened(agent);
    reply({ statusCode: 200, headers: { 'content-type': 'text/plain', 'x-bad': value } });
    send('data', 'body');
    send('end');
    const res = await pending;
    expect(res.status).toBe(502);
    expect((await res.json()) as ApiErrorBody).toEqual({ error: 'protocol', message: expect.any(String) });
    expect(legacy.t.table.get('alpha')?.isOpen).toBe(true);
    await idle(legacy);
  });

  it('relays Latin-1 values, tabs and empty values as they are', async () => {
    const { legacy, agent } = await handMade();
    const pending = api(legacy.t, `/proxy/alpha@${PORT}/`);
    const { reply, send } = await opened(agent);
    reply({ statusCode: 200, headers: { 'x-latin': 'caf\u00e9', 'x-tab': 'a\tb', 'x-empty': '' } });
    send('end');
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get('x-latin')).toBe('caf\u00e9');
    expect(res.headers.get('x-tab')).toBe('a\tb');
    expect(res.headers.get('x-empty')).toBe('');
  });
});

describe('the relay idle deadline on a legacy bolt', () => {
  it('aborts a reply body the agent stops sending, closes its stream and the client', async () => {
    const { legacy, agent } = await handMade({ relayIdleTimeout: 0.3 });
    const client = await rawHttp(legacy.t);
    client.write(`GET /proxy/alpha@${PORT}/slow HTTP/1.1\r\nhost: tower\r\n\r\n`);
    const { id, reply, send } = await opened(agent);
    reply({ statusCode: 200, headers: { 'content-type': 'text/plain' } });
    send('data', 'hello');
    await client.closed;
    expect(splitResponse(client.received()).rest).toContain('hello');
    await eventually(() => agent.frames.some((frame) => frame[0] === id && frame[1] === 'close'));
    await idle(legacy);
    expect(agent.connected).toBe(true);
  });

  it('aborts a request body the client stops sending before anything reaches the agent', async () => {
    const { legacy, agent } = await handMade({ relayIdleTimeout: 0.3 });
    const client = await rawHttp(legacy.t);
    client.write(
      `POST /proxy/alpha@${PORT}/in HTTP/1.1\r\nhost: tower\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":`,
    );
    await client.closed;
    // Closed by the idle deadline, not answered (a 504) at the end of the relay timeout.
    expect(client.received()).toBe('');
    expect(framesOf(agent, 'new', `relay:${PORT}`)).toEqual([]);
    await idle(legacy);
    expect(agent.connected).toBe(true);
  });
});
