/**
 * HTTP through a legacy bolt: client -> tower API -> raw TLS + mux-demux -> simulated 0.4.3 agent ->
 * local service, and back. What the old preamble cannot carry is refused before a frame is sent.
 */
import type http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiErrorBody, api, closeAll, eventually, freePort, service } from '../helpers/harness.js';
import type { LegacyAgent } from './legacy-agent.js';
import { framesOf, type LegacyTower, legacyAgent, legacyAnnounced, legacyTower } from './legacy-harness.js';

afterEach(closeAll);

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const echoService = () =>
  service((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const echo: Echo = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const text = JSON.stringify(echo);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        'set-cookie': ['a=1; Path=/', 'b=2; HttpOnly'],
        connection: 'close, x-hop',
        'x-hop': 'private to the agent',
        'x-kept': 'yes',
      });
      res.end(text);
    });
  });

async function connected(
  ports: number[],
  settings: Parameters<typeof legacyTower>[0] = {},
  options: Parameters<typeof legacyAgent>[3] = {},
) {
  const legacy = await legacyTower(settings);
  const agent = await legacyAgent(legacy, 'alpha', ports, options);
  await legacyAnnounced(legacy, 'alpha');
  return { legacy, agent };
}

const expectApiError = async (res: Response, status: number, error: string) => {
  expect(res.status).toBe(status);
  const body = (await res.json()) as ApiErrorBody;
  expect(body).toEqual({ error, message: expect.any(String) });
};

/** Frames the tower sent on relay streams: any relay attempt shows up here. */
const relayFrames = (agent: LegacyAgent) => {
  const relays = new Set(
    framesOf(agent, 'new')
      .filter((frame) => String((frame[2] as { meta?: unknown } | undefined)?.meta).startsWith('relay:'))
      .map((frame) => frame[0]),
  );
  return agent.frames.filter((frame) => relays.has(frame[0]));
};

const idle = (legacy: LegacyTower) => eventually(() => legacy.t.table.get('alpha')?.openStreams === 0);

describe('relay through a legacy bolt', () => {
  it("relays a GET with its query string; the agent sends its own headers, not the caller's", async () => {
    const port = await echoService();
    const { legacy, agent } = await connected([port]);
    const res = await api(legacy.t, `/proxy/alpha@${port}/hello/world?x=1&y=2`, {
      headers: { 'x-test': 'yes' },
    });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo).toMatchObject({ method: 'GET', url: '/hello/world?x=1&y=2', body: '' });
    expect(echo.headers['content-type']).toBe('application/json');
    expect(echo.headers).not.toHaveProperty('x-test');
    // Response headers: end-to-end ones kept (set-cookie twice), hop-by-hop and the stale length dropped.
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(res.headers.get('x-kept')).toBe('yes');
    expect(res.headers.get('x-hop')).toBeNull();
    // The agent's length belonged to its text; the tower's server frames the re-encoded body itself.
    expect(res.headers.get('content-length')).toBeNull();
    const [opened] = framesOf(agent, 'new', `relay:${port}`);
    expect(opened?.[2]).toEqual({ meta: `relay:${port}`, opts: { writable: true, readable: true } });
    expect(agent.frames.filter((frame) => frame[0] === opened?.[0]).slice(1, 3)).toEqual([
      [opened?.[0], 'data', JSON.stringify({ method: 'GET', url: '/hello/world?x=1&y=2' })],
      [opened?.[0], 'end'],
    ]);
    await idle(legacy);
  });

  it("relays a POST with a JSON body as the preamble's data", async () => {
    const port = await echoService();
    const { legacy, agent } = await connected([port]);
    const payload = { name: 'openvpn-storm', version: '*', source: 'npm://', note: 'naïve ☃' };
    const res = await api(legacy.t, `/proxy/alpha@${port}/packages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(payload, null, 2),
    });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo).toMatchObject({ method: 'POST', url: '/packages', body: JSON.stringify(payload) });
    const [opened] = framesOf(agent, 'new', `relay:${port}`);
    const preamble = agent.frames.find((frame) => frame[0] === opened?.[0] && frame[1] === 'data')?.[2];
    expect(JSON.parse(String(preamble))).toEqual({ method: 'POST', url: '/packages', data: payload });
    await idle(legacy);
  });

  it('answers 403 for a port outside the capability without a frame on the wire', async () => {
    const allowed = await echoService();
    let reached = 0;
    const forbidden = await service((_req, res) => {
      reached++;
      res.end('no');
    });
    const { legacy, agent } = await connected([allowed]);
    const before = relayFrames(agent).length;
    await expectApiError(await api(legacy.t, `/proxy/alpha@${forbidden}/secret`), 403, 'port-not-allowed');
    await expectApiError(
      await api(legacy.t, `/proxy/alpha@${forbidden}/secret`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      }),
      403,
      'port-not-allowed',
    );
    // A relay that does go out afterwards shows the spy works; the refused ones left nothing.
    const through = await api(legacy.t, `/proxy/alpha@${allowed}/`);
    expect(through.status).toBe(200);
    await through.text();
    expect(framesOf(agent, 'new', `relay:${forbidden}`)).toEqual([]);
    expect(relayFrames(agent).length).toBeGreaterThan(before);
    expect(reached).toBe(0);
  });

  it('answers 415 for a body a legacy agent cannot carry, and 413 past the body limit', async () => {
    const port = await echoService();
    const { legacy, agent } = await connected([port]);
    const post = (body: string | Uint8Array, type?: string) =>
      api(legacy.t, `/proxy/alpha@${port}/upload`, {
        method: 'POST',
        body,
        headers: type ? { 'content-type': type } : {},
      });
    const bytes = (text: string) => new TextEncoder().encode(text); // fetch sets no content type for bytes
    await expectApiError(await post('plain words', 'text/plain'), 415, 'unsupported-body');
    await expectApiError(
      await post(new Uint8Array([1, 2, 3]), 'application/octet-stream'),
      415,
      'unsupported-body',
    );
    await expectApiError(await post('{"truncated":', 'application/json'), 415, 'unsupported-body');
    await expectApiError(await post(bytes('not json either')), 415, 'unsupported-body');
    await expectApiError(await post(new Uint8Array([0x22, 0xff, 0x22])), 415, 'unsupported-body');
    await expectApiError(
      await post(JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }), 'application/json'),
      413,
      'body-too-large',
    );
    expect(framesOf(agent, 'new', `relay:${port}`)).toEqual([]);
    // An empty body of any type is no body, and JSON without a content type is JSON.
    const empty = await post('', 'text/plain');
    expect(empty.status).toBe(200);
    expect(((await empty.json()) as Echo).body).toBe('');
    expect(((await (await post(bytes('[1,2]'))).json()) as Echo).body).toBe('[1,2]');
    expect(((await (await post('{"k":"v"}', 'application/vnd.storm+json')).json()) as Echo).body).toBe(
      '{"k":"v"}',
    );
  });

  it("answers the agent's headerless 500 with 502 upstream-unreachable, and passes its 408", async () => {
    const down = await freePort();
    let arrived = 0;
    const silent = await service(() => {
      arrived++; // and never answers
    });
    const { legacy } = await connected([down, silent], {}, { localTimeoutMs: 300 });
    const failed = await api(legacy.t, `/proxy/alpha@${down}/packages`, {
      method: 'POST',
      body: '{"name":"x"}',
      headers: { 'content-type': 'application/json' },
    });
    await expectApiError(failed, 502, 'upstream-unreachable');
    const slow = await api(legacy.t, `/proxy/alpha@${silent}/`);
    expect(slow.status).toBe(408);
    expect(arrived).toBe(1);
    await idle(legacy);
  });

  it('answers 502 when the agent ends the channel without a reply', async () => {
    const port = await echoService();
    // Advertises a port it does not allow: 0.4.3 then ends the relay at once, with no preamble.
    const { legacy } = await connected([port], {}, { capabilityPorts: [port, port + 1] });
    await expectApiError(await api(legacy.t, `/proxy/alpha@${port + 1}/`), 502, 'upstream-failed');
    await idle(legacy);
  });

  it("answers 504 after the relay timeout, and the agent's late reply harms nothing", async () => {
    const pending: http.ServerResponse[] = [];
    const port = await service((req, res) => {
      if (req.url === '/slow') pending.push(res);
      else res.end('quick');
    });
    const { legacy, agent } = await connected([port], { relayTimeout: 0.5 });
    await expectApiError(await api(legacy.t, `/proxy/alpha@${port}/slow`), 504, 'timeout');
    await idle(legacy);
    // The stream was closed; the reply the agent still writes goes to an id the tower has dropped.
    pending[0]?.end('too late');
    const [opened] = framesOf(agent, 'new', `relay:${port}`);
    await eventually(() => agent.frames.some((frame) => frame[0] === opened?.[0] && frame[1] === 'close'));
    // The same connection relays again; asked of the bolt with a roomy deadline, since the tower's
    // 0.5 s one is only for the hung request and a busy machine may take longer for a good one.
    const again = await legacy.t.table
      .get('alpha')
      ?.relay(port, { method: 'GET', path: '/again', headers: [], body: null }, { timeoutMs: 20_000 });
    expect(again?.status).toBe(200);
    expect(await new Response(again?.body ?? null).text()).toBe('quick');
    expect(agent.connected).toBe(true);
    expect(agent.dials).toBe(1);
  });

  it('answers 503 past the open-stream limit, and takes relays again once one ends', async () => {
    const held: http.ServerResponse[] = [];
    const port = await service((req, res) => {
      if (req.url === '/hold') held.push(res);
      else res.end('free');
    });
    const legacy = await legacyTower({}, { limits: { maxOpenStreams: 2 } }); // the beacon and one relay
    await legacyAgent(legacy, 'alpha', [port]);
    await legacyAnnounced(legacy, 'alpha');
    const first = api(legacy.t, `/proxy/alpha@${port}/hold`);
    await eventually(() => held.length === 1);
    await expectApiError(await api(legacy.t, `/proxy/alpha@${port}/more`), 503, 'refused');
    held[0]?.end('held');
    expect(await (await first).text()).toBe('held');
    await idle(legacy);
    expect(await (await api(legacy.t, `/proxy/alpha@${port}/more`)).text()).toBe('free');
  });

  it('answers 502 when the bolt is lost mid-exchange', async () => {
    let arrived = false;
    const port = await service(() => {
      arrived = true;
    });
    const { legacy, agent } = await connected([port]);
    const pending = api(legacy.t, `/proxy/alpha@${port}/slow`);
    await eventually(() => arrived);
    await agent.close();
    await expectApiError(await pending, 502, 'bolt-lost');
    await eventually(() => legacy.t.table.get('alpha') === undefined);
  });

  it("keeps multi-byte characters whole however the agent's frames split them", async () => {
    const text = 'naïve café ☃ 𝄞 '.repeat(20_000);
    const port = await service((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      // Odd-sized writes, so chunk boundaries fall inside characters on the agent's local socket.
      const bytes = Buffer.from(text);
      for (let i = 0; i < bytes.length; i += 7919) res.write(bytes.subarray(i, i + 7919));
      res.end();
    });
    const { legacy } = await connected([port]);
    const res = await api(legacy.t, `/proxy/alpha@${port}/text`);
    expect(await res.text()).toBe(text);
    await idle(legacy);
  });

  it('answers HEAD without a body', async () => {
    const port = await echoService();
    const { legacy } = await connected([port]);
    const res = await api(legacy.t, `/proxy/alpha@${port}/`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    await idle(legacy);
  });

  it('pauses the agent while the reader is slow, and resumes it as the reader catches up', async () => {
    const chunk = 'z'.repeat(64 * 1024);
    const total = 384; // 24 MiB of text
    let written = 0;
    let blocked = false;
    const port = await service((_req, res) => {
      // A service that produces as it goes (one chunk a millisecond), so the agent reads the
      // tower's pause before it has copied the whole body into its own, unbounded, socket buffer.
      const pump = () => {
        if (written === total) return void res.end();
        written++;
        if (res.write(chunk)) return void setTimeout(pump, 1);
        blocked = true;
        res.once('drain', () => {
          blocked = false;
          pump();
        });
      };
      pump();
    });
    // The agent's beacons queue behind megabytes of body in its own socket: on a loaded machine three
    // 200 ms beacons can go unanswered while that drains, and the agent would drop the connection.
    const { legacy, agent } = await connected([port], {}, { beaconRetry: 50 });
    // The bolt directly: the reader here is the test, with no HTTP server buffering in between.
    const bolt = legacy.t.table.get('alpha');
    const response = await bolt?.relay(
      port,
      { method: 'GET', path: '/big', headers: [], body: null },
      { timeoutMs: 20_000 },
    );
    const [opened] = framesOf(agent, 'new', `relay:${port}`);
    const id = opened?.[0];
    await eventually(() => agent.frames.some((frame) => frame[0] === id && frame[1] === 'pause'));
    // Back-pressure reached the service: it is blocked, far from done, and stays put. What it got
    // out (about 8 MiB here) sits in socket buffers and the agent's own unbounded write queue.
    let last = -1;
    let steady = 0;
    await eventually(() => {
      steady = blocked && written === last ? steady + 1 : 0;
      last = written;
      return steady >= 10;
    });
    expect(written).toBeLessThan(total / 2);

    let received = 0;
    const body = response?.body;
    if (!(body instanceof ReadableStream)) throw new Error('a streamed body was expected');
    for await (const data of body) received += data.length;
    expect(received).toBe(total * chunk.length);
    expect(agent.frames.filter((frame) => frame[0] === id && frame[1] === 'resume').length).toBeGreaterThan(
      0,
    );
    await idle(legacy);
  });

  it('fails only that relay when an agent sends far past a pause', async () => {
    const legacy = await legacyTower(
      {},
      { limits: { bodyHighWaterBytes: 16 * 1024, maxBodyQueueBytes: 64 * 1024 } },
    );
    const agent = await legacyAgent(legacy, 'alpha', [7000], { ignoreRelays: true });
    await legacyAnnounced(legacy, 'alpha');
    const bolt = legacy.t.table.get('alpha');
    const pending = bolt?.relay(
      7000,
      { method: 'GET', path: '/', headers: [], body: null },
      { timeoutMs: 20_000 },
    );
    const opened = await eventually(() => framesOf(agent, 'new', 'relay:7000')[0]);
    const id = opened[0];
    const frame = (...rest: unknown[]) => `${JSON.stringify([id, ...rest])}\n`;
    agent.sendRaw(
      frame('data', JSON.stringify({ statusCode: 200, headers: { 'content-type': 'text/plain' } })),
    );
    const response = await pending;
    // 160 KiB the agent was told to hold back, as one hostile burst.
    agent.sendRaw(Array.from({ length: 20 }, () => frame('data', 'y'.repeat(8 * 1024))).join(''));
    // Nobody reads meanwhile: the tower asks for a pause, then gives up on the stream at the ceiling.
    await eventually(() => agent.frames.some((f) => f[0] === id && f[1] === 'close'));
    expect(agent.frames).toContainEqual([id, 'pause']);
    const body = response?.body;
    if (!(body instanceof ReadableStream)) throw new Error('a streamed body was expected');
    await expect(body.getReader().read()).rejects.toMatchObject({ code: 'protocol' });
    await idle(legacy);
    expect(legacy.t.table.get('alpha')?.isOpen).toBe(true);
    expect(agent.connected).toBe(true);
  });
});
