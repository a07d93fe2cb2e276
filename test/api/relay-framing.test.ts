/**
 * The tower frames every relayed response itself, whatever length the agent claims: a raw agent
 * sends hand-made heads (lying, invalid and duplicate content-lengths, bodies for HEAD) and a raw
 * TCP client pipelines requests, so the test reads the very bytes a client would parse.
 */
import { NEVER } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { createApp } from '../../src/api/app.js';
import { createChangeFeed } from '../../src/api/feed/change-feed.js';
import { ErrorCode } from '../../src/bolt/protocol/frames.js';
import { silentLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/registry/minion-registry.js';
import type { RunningTower } from '../../src/tower.js';
import { api, closeAll, eventually, rawBolt, tower } from '../helpers/harness.js';
import { captureLog } from '../helpers/log-capture.js';
import { nextRequest, resets, sendData, sendHead } from '../helpers/raw-agent.js';
import { rawHttp, splitResponse } from '../helpers/raw-http.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await closeAll();
});

const PORT = 4321;

async function liar(): Promise<{ t: RunningTower; socket: WebSocket; logs: Record<string, unknown>[] }> {
  const { log, lines: logs } = captureLog('debug');
  const t = await tower({}, log);
  const socket = await rawBolt(t, 'liar', [PORT]);
  return { t, socket, logs };
}

const get = (path: string, version = '1.1') =>
  `GET /proxy/liar@${PORT}${path} HTTP/${version}\r\nhost: tower\r\n\r\n`;

/** How many status lines the raw client received. */
const responses = (text: string) => text.match(/HTTP\/1\.[01] \d{3} /g)?.length ?? 0;

describe('a relayed content-length', () => {
  it('never lets bytes past a valid length reach a pipelining client, and closes after them', async () => {
    const { t, socket } = await liar();
    const client = await rawHttp(t);
    const opened = nextRequest(socket);
    client.write(get('/a') + get('/b'));
    const { streamId } = await opened;
    sendHead(socket, streamId, 200, ['content-type', 'text/plain', 'content-length', '2']);
    sendData(socket, streamId, 'ok');
    await client.waitFor('\r\n\r\nok');
    // The rest of the "body" is a second response, aimed at the client's second request.
    sendData(socket, streamId, 'HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\ninjected', true);
    await eventually(() => client.isClosed() || client.received().includes('injected'));
    expect(client.received()).not.toContain('injected');
    await client.closed;
    const { head, rest } = splitResponse(client.received());
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head.toLowerCase()).toContain('content-length: 2');
    expect(rest).toBe('ok');
    expect(t.table.get('liar')?.isOpen).toBe(true);
  });

  it('destroys the client connection when the body ends short of the length', async () => {
    const { t, socket } = await liar();
    const client = await rawHttp(t);
    const opened = nextRequest(socket);
    client.write(get('/a') + get('/b'));
    const { streamId } = await opened;
    sendHead(socket, streamId, 200, ['content-length', '100']);
    sendData(socket, streamId, 'hello');
    await client.waitFor('hello');
    sendData(socket, streamId, '', true);
    // Kept alive, the client would take the next response's bytes as the 95 missing ones.
    await client.closed;
    expect(splitResponse(client.received()).rest).toBe('hello');
    expect(responses(client.received())).toBe(1);
    expect(t.table.get('liar')?.isOpen).toBe(true);
  });

  it('keeps a valid length that the body matches, and the connection with it', async () => {
    const { t, socket } = await liar();
    const client = await rawHttp(t);
    for (const path of ['/one', '/two']) {
      const opened = nextRequest(socket);
      client.write(get(path));
      const { streamId } = await opened;
      sendHead(socket, streamId, 200, ['content-length', '5']);
      sendData(socket, streamId, path.padEnd(5, '.'));
      await client.waitFor(path.padEnd(5, '.'));
      sendData(socket, streamId, '', true);
    }
    await eventually(() => t.table.get('liar')?.openStreams === 0);
    expect(client.isClosed()).toBe(false);
    expect(responses(client.received())).toBe(2);
    expect(client.received()).toContain('content-length: 5\r\n');
  });

  it.each([
    ['not a number', ['abc']],
    ['negative', ['-5']],
    ['a list', ['5, 5']],
    ['two equal fields', ['5', '5']],
    ['two different fields', ['5', '7']],
    ['empty', ['']],
    ['a fraction', ['5.0']],
    ['hex', ['0x5']],
  ])('drops an invalid length (%s) and sends the body chunked', async (_what, values) => {
    const { t, socket, logs } = await liar();
    const opened = nextRequest(socket);
    const pending = api(t, `/proxy/liar@${PORT}/x`);
    const { streamId } = await opened;
    sendHead(
      socket,
      streamId,
      200,
      values.flatMap((value) => ['content-length', value]),
    );
    sendData(socket, streamId, 'hello');
    const res = await pending;
    sendData(socket, streamId, ' world', true);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBeNull();
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(await res.text()).toBe('hello world');
    await eventually(() => logs.some((line) => line.limit === 'content-length'));
    expect(logs.find((line) => line.limit === 'content-length')).toMatchObject({ cname: 'liar' });
  });

  it('logs bad lengths once per minion, not once per response', async () => {
    const { t, socket, logs } = await liar();
    for (let i = 0; i < 5; i++) {
      const opened = nextRequest(socket);
      const pending = api(t, `/proxy/liar@${PORT}/x`);
      const { streamId } = await opened;
      sendHead(socket, streamId, 200, ['content-length', 'abc']);
      sendData(socket, streamId, 'hello', true);
      expect(await (await pending).text()).toBe('hello');
    }
    expect(logs.filter((line) => line.limit === 'content-length')).toHaveLength(1);
  });

  it('delimits by closing the connection for an HTTP/1.0 client when the length is unknown', async () => {
    const { t, socket } = await liar();
    const client = await rawHttp(t);
    const opened = nextRequest(socket);
    client.write(get('/old', '1.0'));
    const { streamId } = await opened;
    sendHead(socket, streamId, 200, ['content-length', 'abc']);
    sendData(socket, streamId, 'hello');
    await client.waitFor('hello');
    sendData(socket, streamId, ' world', true);
    await client.closed;
    const { head, rest } = splitResponse(client.received());
    expect(head.toLowerCase()).not.toContain('content-length');
    expect(head.toLowerCase()).not.toContain('transfer-encoding');
    expect(rest).toBe('hello world');
  });

  it('frames an answer that ends with its head by its real, empty length', async () => {
    const { t, socket } = await liar();
    const client = await rawHttp(t);
    const opened = nextRequest(socket);
    client.write(get('/empty'));
    const { streamId } = await opened;
    sendHead(socket, streamId, 200, ['content-length', '100'], true);
    await client.waitFor('\r\n\r\n');
    await eventually(() => t.table.get('liar')?.openStreams === 0);
    expect(splitResponse(client.received()).head.toLowerCase()).toContain('content-length: 0');
  });
});

describe('relayed answers without a body', () => {
  it("keeps the agent's length for HEAD and prints nothing", async () => {
    const printed = [
      vi.spyOn(console, 'error'),
      vi.spyOn(console, 'warn'),
      vi.spyOn(console, 'info'),
      vi.spyOn(console, 'log'),
      vi.spyOn(process.stderr, 'write'),
    ];
    const { t, socket, logs } = await liar();
    for (let i = 0; i < 2; i++) {
      const opened = nextRequest(socket);
      const pending = api(t, `/proxy/liar@${PORT}/thing`, { method: 'HEAD' });
      const { streamId, head } = await opened;
      expect(head.method).toBe('HEAD');
      sendHead(socket, streamId, 200, ['content-length', '1234', 'x-kept', 'yes'], true);
      const res = await pending;
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe('1234');
      expect(res.headers.get('x-kept')).toBe('yes');
      expect(await res.text()).toBe('');
    }
    // Another request after them: anything the HEADs printed would be out by now.
    expect((await api(t, '/health')).status).toBe(200);
    for (const spy of printed) expect(spy).not.toHaveBeenCalled();
    expect(logs.filter((line) => (line.level as number) >= 40)).toEqual([]);
  });

  it('drops a body an agent sends for HEAD, and cancels its stream', async () => {
    const { t, socket } = await liar();
    const seen = resets(socket);
    const opened = nextRequest(socket);
    const pending = api(t, `/proxy/liar@${PORT}/thing`, { method: 'HEAD' });
    const { streamId } = await opened;
    sendHead(socket, streamId, 200, ['content-length', '5']);
    sendData(socket, streamId, 'HTTP/');
    const res = await pending;
    expect(res.headers.get('content-length')).toBe('5');
    expect(await res.text()).toBe('');
    await eventually(() =>
      seen.some((reset) => reset.streamId === streamId && reset.code === ErrorCode.Cancel),
    );
    expect(t.table.get('liar')?.isOpen).toBe(true);
  });

  it('keeps the length of a 304 and drops that of a 204', async () => {
    const { t, socket } = await liar();
    for (const [status, expected] of [
      [304, '42'],
      [204, null],
    ] as const) {
      const client = await rawHttp(t);
      const opened = nextRequest(socket);
      client.write(get(`/${status}`));
      const { streamId } = await opened;
      sendHead(socket, streamId, status, ['content-length', '42'], true);
      await client.waitFor('\r\n\r\n');
      const { head } = splitResponse(client.received());
      const length = /content-length: (\S+)/i.exec(head)?.[1] ?? null;
      expect(length, String(status)).toBe(expected);
    }
  });
});

describe('the same framing without a Node server (app.request)', () => {
  async function app() {
    const { t, socket } = await liar();
    const registry = createRegistry(NEVER);
    const hono = createApp({
      table: t.table,
      log: silentLogger(),
      relayTimeoutMs: 5000,
      relayIdleTimeoutMs: 5000,
      registry,
      feed: createChangeFeed(registry),
    });
    return { hono, socket };
  }

  it('stops the body at a valid length', async () => {
    const { hono, socket } = await app();
    const opened = nextRequest(socket);
    const pending = hono.request(`/proxy/liar@${PORT}/x`);
    const { streamId } = await opened;
    sendHead(socket, streamId, 200, ['content-length', '2']);
    sendData(socket, streamId, 'ok');
    const res = await pending;
    sendData(socket, streamId, 'HTTP/1.1 200 OK\r\n\r\ninjected', true);
    expect(res.headers.get('content-length')).toBe('2');
    expect(await res.text()).toBe('ok');
  });

  it('fails a body that ends short of its length, and drops an invalid one', async () => {
    const { hono, socket } = await app();
    let opened = nextRequest(socket);
    let pending = hono.request(`/proxy/liar@${PORT}/short`);
    let { streamId } = await opened;
    sendHead(socket, streamId, 200, ['content-length', '100']);
    sendData(socket, streamId, 'hello');
    const short = await pending;
    sendData(socket, streamId, '', true);
    await expect(short.text()).rejects.toThrow();

    opened = nextRequest(socket);
    pending = hono.request(`/proxy/liar@${PORT}/invalid`);
    ({ streamId } = await opened);
    sendHead(socket, streamId, 200, ['content-length', '5', 'content-length', '5']);
    sendData(socket, streamId, 'hello');
    const invalid = await pending;
    sendData(socket, streamId, '', true);
    expect(invalid.headers.get('content-length')).toBeNull();
    expect(await invalid.text()).toBe('hello');
  });
});
