/**
 * `/proxy` (and the `stormbolt-target` header relay) in process, through `app.request()` against a
 * bolt that answers from a function: no socket, no agent. Without Node bindings the API takes its
 * WHATWG exchange (`relay-exchange.ts`); these tests are what keep that path honest, while the
 * tests with a real tower and raw sockets cover the Node one.
 */
import { NEVER } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { createChangeFeed } from '../../src/api/feed/change-feed.js';
import { BoltTable } from '../../src/link/bolt-table.js';
import type { RelayOptions, RelayResponse } from '../../src/link/relay.js';
import { RelayError } from '../../src/link/relay-error.js';
import { silentLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/registry/minion-registry.js';
import { type Answer, AnsweringBolt, bodyText, streamed } from '../helpers/answering-bolt.js';
import type { ApiErrorBody } from '../helpers/harness.js';

const PORT = 8080;
const RELAY_TIMEOUT_MS = 5000;

const ok = (text: string): RelayResponse => ({
  status: 200,
  headers: ['content-type', 'text/plain'],
  body: new TextEncoder().encode(text),
});

/** An app whose table holds one bolt, `alpha`, answering with `answer`. */
function proxyApp(answer: Answer, ports: readonly number[] | null = [PORT], headerRelay = false) {
  const table = new BoltTable();
  const bolt = new AnsweringBolt('alpha', ports, answer);
  table.add(bolt);
  const registry = createRegistry(NEVER);
  const app = createApp({
    table,
    log: silentLogger(),
    relayTimeoutMs: RELAY_TIMEOUT_MS,
    relayIdleTimeoutMs: 60_000,
    registry,
    feed: createChangeFeed(registry),
    headerRelay,
  });
  return { app, bolt };
}

const errorOf = async (res: Response): Promise<string> => ((await res.json()) as ApiErrorBody).error;

/** The value of `name` in a relayed header list (lower-case names). */
const field = (headers: readonly string[], name: string): string | undefined => {
  const at = headers.findIndex((each, i) => i % 2 === 0 && each.toLowerCase() === name);
  return at < 0 ? undefined : headers[at + 1];
};

describe('/proxy through app.request()', () => {
  it('relays the path and query string, and streams the answer back', async () => {
    const { app, bolt } = proxyApp(async () =>
      streamed(200, ['content-type', 'text/plain', 'x-agent', 'yes'], ['hel', 'lo ', 'world']),
    );
    const res = await app.request(`/proxy/alpha@${PORT}/files/a.txt?v=2&w`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-agent')).toBe('yes');
    // No length was promised, so none is invented: the server frames the stream.
    expect(res.headers.get('content-length')).toBeNull();
    expect(await res.text()).toBe('hello world');
    expect(bolt.requests).toHaveLength(1);
    expect(bolt.requests[0]).toMatchObject({ method: 'GET', path: '/files/a.txt?v=2&w', body: null });
  });

  it('answers before the agent has sent the whole body', async () => {
    const agentBody = new TransformStream<Uint8Array, Uint8Array>();
    const agent = agentBody.writable.getWriter();
    const encoder = new TextEncoder();
    void agent.write(encoder.encode('first'));
    const { app } = proxyApp(async () => ({ status: 200, headers: [], body: agentBody.readable }));
    const res = await app.request(`/proxy/alpha@${PORT}/live`);
    const client = res.body?.getReader();
    const decoder = new TextDecoder();
    const first = await client?.read();
    expect(decoder.decode(first?.value)).toBe('first');
    void agent.write(encoder.encode('second'));
    expect(decoder.decode((await client?.read())?.value)).toBe('second');
    void agent.close();
    expect((await client?.read())?.done).toBe(true);
  });

  it('relays "/" when nothing follows the port, with the relay timeout', async () => {
    let seen: RelayOptions | undefined;
    const { app, bolt } = proxyApp(async (_port, _request, options) => {
      seen = options;
      return ok('root');
    });
    const res = await app.request(`/proxy/alpha@${PORT}`);
    expect(await res.text()).toBe('root');
    expect(bolt.requests[0]?.path).toBe('/');
    expect(seen?.timeoutMs).toBe(RELAY_TIMEOUT_MS);
  });

  it('relays the end-to-end headers and the tower forwarding fields, with no address in process', async () => {
    const { app, bolt } = proxyApp(async () => ok('seen'));
    await app.request(`http://tower.example/proxy/alpha@${PORT}/h`, {
      headers: { 'x-custom': 'kept', connection: 'x-drop', 'x-drop': 'gone', 'x-forwarded-for': '6.6.6.6' },
    });
    const headers = bolt.requests[0]?.headers ?? [];
    expect(field(headers, 'x-custom')).toBe('kept');
    expect(field(headers, 'x-drop')).toBeUndefined();
    expect(field(headers, 'host')).toBeUndefined();
    // Without a socket there is no client address: the client's claim is dropped and none is added.
    expect(field(headers, 'x-forwarded-for')).toBeUndefined();
    expect(field(headers, 'x-forwarded-proto')).toBe('http');
  });

  it('takes the in-process path too when the env is there but holds no Node objects', async () => {
    const { app } = proxyApp(async () => ok('no bindings'));
    const res = await app.request(`/proxy/alpha@${PORT}/`, undefined, {});
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('no bindings');
  });

  it('relays HEAD as HEAD and answers with the head alone', async () => {
    const { app, bolt } = proxyApp(async () => ({
      status: 200,
      headers: ['content-type', 'text/plain', 'content-length', '11'],
      body: null,
    }));
    const res = await app.request(`/proxy/alpha@${PORT}/thing`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('11');
    expect(await res.text()).toBe('');
    expect(bolt.requests[0]?.method).toBe('HEAD');
  });

  it('hands the request body to the bolt', async () => {
    const { app, bolt } = proxyApp(async (_port, request) => ok(`got ${await bodyText(request)}`));
    const res = await app.request(`/proxy/alpha@${PORT}/upload`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'a body for the agent',
    });
    expect(await res.text()).toBe('got a body for the agent');
    expect(bolt.requests[0]?.method).toBe('POST');
  });

  it('aborts the relay when the client goes away', async () => {
    const client = new AbortController();
    let aborted!: () => void;
    const abortSeen = new Promise<void>((resolve) => {
      aborted = resolve;
    });
    const { app } = proxyApp(
      (_port, _request, options) =>
        new Promise((_resolve, reject) => {
          options.signal?.addEventListener('abort', () => {
            aborted();
            reject(new RelayError('bolt-lost', 'the client went away'));
          });
          client.abort();
        }),
    );
    const res = await app.request(`/proxy/alpha@${PORT}/slow`, { signal: client.signal });
    await abortSeen;
    expect(res.status).toBe(502);
  });
});

describe('/proxy refusals through app.request()', () => {
  const never: Answer = () => Promise.reject(new Error('the bolt must not be asked'));

  it.each([
    ['no port', '/proxy/alpha'],
    ['port 0', '/proxy/alpha@0/'],
    ['a port past 65535', '/proxy/alpha@65536/'],
    ['a bad cname', '/proxy/al%20pha@8080/'],
  ])('answers 400 bad-target for %s', async (_case, path) => {
    const { app } = proxyApp(never);
    const res = await app.request(path);
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toBe('bad-target');
  });

  it('answers 404 unknown-minion for a cname with no bolt', async () => {
    const { app } = proxyApp(never);
    const res = await app.request(`/proxy/bravo@${PORT}/`);
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toBe('unknown-minion');
  });

  it('answers 403 port-not-allowed for a port outside the capability, without relaying', async () => {
    const { app, bolt } = proxyApp(never);
    const res = await app.request(`/proxy/alpha@${PORT + 1}/`);
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toBe('port-not-allowed');
    expect(bolt.requests).toHaveLength(0);
  });

  it('answers 503 not-ready before the bolt announced its ports', async () => {
    const { app, bolt } = proxyApp(never, null);
    const res = await app.request(`/proxy/alpha@${PORT}/`);
    expect(res.status).toBe(503);
    expect(await errorOf(res)).toBe('not-ready');
    expect(bolt.requests).toHaveLength(0);
  });

  it.each([
    ['upstream-unreachable', 502],
    ['bolt-lost', 502],
    ['timeout', 504],
    ['refused', 503],
  ] as const)('answers a RelayError %s with %i and its code', async (code, status) => {
    const { app } = proxyApp(() => Promise.reject(new RelayError(code, `the relay failed: ${code}`)));
    const res = await app.request(`/proxy/alpha@${PORT}/`);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error: code, message: `the relay failed: ${code}` });
  });
});

describe('the stormbolt-target header relay through app.request()', () => {
  it('relays the request path as /proxy would', async () => {
    const { app, bolt } = proxyApp(async () => ok('via header'), [PORT], true);
    const res = await app.request('/any/path?q=1', { headers: { 'stormbolt-target': `alpha:${PORT}` } });
    expect(await res.text()).toBe('via header');
    expect(bolt.requests[0]?.path).toBe('/any/path?q=1');
    expect(field(bolt.requests[0]?.headers ?? [], 'stormbolt-target')).toBeUndefined();
  });
});
