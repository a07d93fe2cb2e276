/**
 * HTTP relayed end to end: client -> tower API -> bolt -> agent -> local service, and back. Real
 * sockets on loopback; bodies compared by hash; every failure answered with the API's error shape.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningTower } from '../../src/tower.js';
import {
  type ApiErrorBody,
  agent,
  announced,
  api,
  closeAll,
  eventually,
  freePort,
  helloMessage,
  rawOutcome,
  rawSocket,
  service,
  sha256,
  tower,
} from '../helpers/harness.js';

afterEach(closeAll);

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A service that answers with what it received, plus a few response headers to relay back. */
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
      const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
      res.writeHead(status, {
        'content-type': 'application/json',
        'x-echo-method': req.method ?? '',
        'set-cookie': ['a=1; Path=/', 'b=2; HttpOnly'],
      });
      res.end(JSON.stringify(echo));
    });
  });

async function connected(allow: number[], settings: Parameters<typeof tower>[0] = {}) {
  const t = await tower(settings);
  const client = await agent(t.boltUrl, 'alpha', allow);
  await announced(t, 'alpha');
  return { t, client };
}

const expectApiError = async (res: Response, status: number, error: string) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as ApiErrorBody;
  expect(body).toEqual({ error, message: expect.any(String) });
  expect(body.message.length).toBeGreaterThan(0);
};

/** Every exchange on the bolt has finished: nothing leaked, whatever way it ended. */
const idle = (t: RunningTower, cname = 'alpha') => eventually(() => t.table.get(cname)?.openStreams === 0);

/** GET through `http` so the caller controls reading; resolves with the paused response. */
function rawGet(
  t: RunningTower,
  path: string,
): Promise<{ request: http.ClientRequest; response: http.IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${t.apiUrl}${path}`, { agent: false }, (response) => {
      response.pause();
      resolve({ request, response });
    });
    request.on('error', reject);
  });
}

describe('relay through a bolt', () => {
  it('relays a GET with its query string and headers', async () => {
    const port = await echoService();
    const { t } = await connected([port]);
    const res = await api(t, `/proxy/alpha@${port}/hello/world?x=1&y=2`, { headers: { 'x-test': 'yes' } });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo).toMatchObject({ method: 'GET', url: '/hello/world?x=1&y=2', body: '' });
    expect(echo.headers['x-test']).toBe('yes');
    expect(echo.headers['x-forwarded-proto']).toBe('http');
  });

  it('relays the path after @port as given: none, query only, encoded, doubled slashes', async () => {
    const port = await echoService();
    const { t } = await connected([port]);
    const cases: [string, string][] = [
      ['', '/'],
      ['?only=query', '/?only=query'],
      ['/a%2Fb/c%20d?x=%26&y', '/a%2Fb/c%20d?x=%26&y'],
      ['//double//slash/', '//double//slash/'],
    ];
    for (const [suffix, expected] of cases) {
      const res = await api(t, `/proxy/alpha@${port}${suffix}`);
      expect(res.status, suffix).toBe(200);
      expect(((await res.json()) as Echo).url, suffix).toBe(expected);
    }
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])(
    'relays %s with query, headers and body, and the response status and headers back',
    async (method) => {
      const port = await echoService();
      const { t } = await connected([port]);
      const hasBody = method !== 'DELETE' && method !== 'OPTIONS';
      const res = await api(t, `/proxy/alpha@${port}/items/7?status=201&q=a%20b`, {
        method,
        headers: { 'x-request-id': `req-${method}`, 'content-type': 'text/plain' },
        ...(hasBody ? { body: `payload for ${method}` } : {}),
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('x-echo-method')).toBe(method);
      expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
      const echo = (await res.json()) as Echo;
      expect(echo.method).toBe(method);
      expect(echo.url).toBe('/items/7?status=201&q=a%20b');
      expect(echo.headers['x-request-id']).toBe(`req-${method}`);
      expect(echo.headers['content-type']).toBe('text/plain');
      expect(echo.body).toBe(hasBody ? `payload for ${method}` : '');
      await idle(t);
    },
  );

  it('relays HEAD: status and headers, no body', async () => {
    const port = await echoService();
    const { t } = await connected([port]);
    const res = await api(t, `/proxy/alpha@${port}/thing?status=203`, { method: 'HEAD' });
    expect(res.status).toBe(203);
    expect(res.headers.get('x-echo-method')).toBe('HEAD');
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(await res.text()).toBe('');
    await idle(t);
  });

  it('does not forward hop-by-hop headers, nor those named by Connection, either way', async () => {
    const port = await service((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        res.setHeader('connection', 'keep-alive, x-resp-hop');
        res.setHeader('x-resp-hop', 'private');
        res.setHeader('proxy-authenticate', 'Basic realm="agent"');
        res.setHeader('x-resp-kept', 'yes');
        const body = Buffer.concat(chunks).toString('utf8');
        res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
      });
    });
    const { t } = await connected([port]);
    let responseHeaders: http.IncomingHttpHeaders = {};
    const echo = await new Promise<Echo>((resolve, reject) => {
      const request = http.request(
        `${t.apiUrl}/proxy/alpha@${port}/hop`,
        {
          method: 'POST',
          agent: false,
          headers: {
            connection: 'keep-alive, x-hop-private',
            'x-hop-private': 'secret',
            'keep-alive': 'timeout=5',
            te: 'trailers',
            trailer: 'x-checksum',
            'proxy-authorization': 'Basic cHJveHk6cHc=',
            'proxy-connection': 'keep-alive',
            'x-end-to-end': 'kept',
          },
        },
        (res) => {
          responseHeaders = res.headers;
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve(JSON.parse(text) as Echo));
        },
      );
      request.on('error', reject);
      // Chunked on purpose: transfer-encoding is hop-by-hop too.
      request.write('part one, ');
      request.end('part two');
    });
    expect(echo.body).toBe('part one, part two');
    expect(echo.headers['x-end-to-end']).toBe('kept');
    for (const name of [
      'x-hop-private',
      'keep-alive',
      'te',
      'trailer',
      'proxy-authorization',
      'proxy-connection',
    ]) {
      expect(echo.headers, name).not.toHaveProperty(name);
    }
    // The agent's own connection to the service has its own Connection header, never the client's.
    expect(String(echo.headers.connection ?? '')).not.toContain('x-hop-private');
    expect(responseHeaders['x-resp-kept']).toBe('yes');
    expect(responseHeaders).not.toHaveProperty('x-resp-hop');
    expect(responseHeaders).not.toHaveProperty('proxy-authenticate');
    expect(String(responseHeaders.connection ?? '')).not.toContain('x-resp-hop');
    await idle(t);
  });

  it('uploads a 5 MB random body byte-identical', async () => {
    const port = await service((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        res.end(JSON.stringify({ size: body.length, sha256: sha256(body) }));
      });
    });
    const { t } = await connected([port]);
    const upload = randomBytes(5 * 1024 * 1024);
    const res = await api(t, `/proxy/alpha@${port}/upload`, {
      method: 'POST',
      body: upload,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ size: upload.length, sha256: sha256(upload) });
    await idle(t);
  });

  it('downloads a 5 MB random body byte-identical', async () => {
    const download = randomBytes(5 * 1024 * 1024);
    const port = await service((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(download);
    });
    const { t } = await connected([port]);
    const res = await api(t, `/proxy/alpha@${port}/download`);
    expect(res.status).toBe(200);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.length).toBe(download.length);
    expect(sha256(body)).toBe(sha256(download));
    await idle(t);
  });

  it('runs 50 concurrent relays on one bolt, each with its own body', async () => {
    const port = await service((req, res) => {
      // A little jitter so the streams really interleave.
      setTimeout(() => res.end(`body of ${req.url}`), Math.random() * 20);
    });
    const { t } = await connected([port]);
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const res = await api(t, `/proxy/alpha@${port}/n/${i}`);
        return { status: res.status, text: await res.text() };
      }),
    );
    results.forEach(({ status, text }, i) => {
      expect(status).toBe(200);
      expect(text).toBe(`body of /n/${i}`);
    });
    await idle(t);
  });

  it('keeps serving other streams while one download is stalled by its reader', async () => {
    let stalledWriterBlocked = false;
    let stalledWritten = 0;
    let stalledClosed = false;
    const port = await service((req, res) => {
      if (req.url !== '/endless') return res.end(`quick ${req.url}`);
      // Writes for as long as it may; blocked means the stall reached the service through the bolt.
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        do stalledWritten += chunk.length;
        while (res.write(chunk));
        stalledWriterBlocked = true;
        res.once('drain', () => {
          stalledWriterBlocked = false;
          pump();
        });
      };
      res.on('close', () => {
        stalledClosed = true;
      });
      pump();
    });
    const { t } = await connected([port]);
    const stalled = await rawGet(t, `/proxy/alpha@${port}/endless`);
    expect(stalled.response.statusCode).toBe(200);
    // Flow control backs up all the way to the service: it stays blocked, and its count stops moving.
    let lastWritten = -1;
    let steadyPolls = 0;
    await eventually(() => {
      steadyPolls = stalledWriterBlocked && stalledWritten === lastWritten ? steadyPolls + 1 : 0;
      lastWritten = stalledWritten;
      return steadyPolls >= 10;
    });

    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res = await api(t, `/proxy/alpha@${port}/q/${i}`);
        return res.text();
      }),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => `quick /q/${i}`));
    // Still stalled, and what sits in buffers is bounded (socket buffers plus one credit window).
    expect(stalledClosed).toBe(false);
    expect(stalledWritten).toBe(lastWritten);
    expect(stalledWritten).toBeLessThan(32 * 1024 * 1024);

    stalled.request.destroy();
    await eventually(() => stalledClosed);
    await idle(t);
  });

  it('ends the exchange when the service answers before it has read the upload', async () => {
    let localRequestClosed = false;
    const port = await service((req, res) => {
      // The socket, not `req`: Node emits no 'close' on a request whose response has already gone.
      req.socket.on('close', () => {
        localRequestClosed = true;
      });
      res.writeHead(413, { 'content-type': 'text/plain' });
      res.end('too big');
    });
    const { t, client } = await connected([port]);
    const res = await api(t, `/proxy/alpha@${port}/upload`, {
      method: 'POST',
      body: randomBytes(8 * 1024 * 1024),
    });
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('too big');
    // The unread rest of the upload is abandoned, not left holding a stream on the bolt.
    await idle(t);
    await eventually(() => localRequestClosed);
    expect(client.connected).toBe(true);
    expect((await api(t, `/proxy/alpha@${port}/again`, { method: 'POST', body: 'small' })).status).toBe(413);
    await idle(t);
  });

  it('cancels the stream when the client goes away mid-download', async () => {
    let sent = 0;
    let finished = false;
    let closedEarly = false;
    const total = 64 * 1024 * 1024;
    const port = await service((_req, res) => {
      res.writeHead(200, { 'content-length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('finish', () => {
        finished = true;
      });
      res.on('close', () => {
        closedEarly = !finished;
      });
      pump();
    });
    const { t, client } = await connected([port]);
    const { request, response } = await rawGet(t, `/proxy/alpha@${port}/big`);
    response.resume();
    await new Promise<void>((resolve) => response.once('data', () => resolve()));
    request.destroy();
    await eventually(() => closedEarly);
    expect(finished).toBe(false);
    expect(sent).toBeLessThan(total);
    // The bolt itself is untouched.
    expect(client.connected).toBe(true);
    expect((await api(t, `/proxy/alpha@${port}/again`, { method: 'HEAD' })).status).toBe(200);
    await idle(t);
  });
  it('cancels the stream when the client goes away mid-upload', async () => {
    let received = 0;
    let localClosed = false;
    let ended = false;
    const port = await service((req, res) => {
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      req.on('end', () => {
        ended = true;
        res.end('all of it');
      });
      req.socket.on('close', () => {
        localClosed = true;
      });
    });
    const { t, client } = await connected([port]);
    // A request that promises 64 MB and sends 1 MB, then its client disappears.
    const request = http.request(`${t.apiUrl}/proxy/alpha@${port}/upload`, {
      method: 'POST',
      agent: false,
      headers: { 'content-length': String(64 * 1024 * 1024) },
    });
    request.on('error', () => {});
    request.write(randomBytes(1024 * 1024));
    await eventually(() => received > 0);
    request.destroy();
    await eventually(() => localClosed);
    expect(ended).toBe(false);
    expect(received).toBeLessThan(64 * 1024 * 1024);
    // The bolt itself is untouched, and its stream is gone.
    await idle(t);
    expect(client.connected).toBe(true);
    expect((await api(t, `/proxy/alpha@${port}/again`, { method: 'POST', body: 'small' })).status).toBe(200);
    await idle(t);
  });
});

describe('relay errors', () => {
  it('answers 404 for an unknown minion', async () => {
    const port = await echoService();
    const { t } = await connected([port]);
    await expectApiError(await api(t, `/proxy/ghost@${port}/`), 404, 'unknown-minion');
  });

  it('answers 403 for a port outside the capability, and nothing reaches that port', async () => {
    const allowed = await echoService();
    let reached = 0;
    const forbidden = await service((_req, res) => {
      reached++;
      res.end('should not be here');
    });
    const { t } = await connected([allowed]);
    await expectApiError(await api(t, `/proxy/alpha@${forbidden}/secret`), 403, 'port-not-allowed');
    await expectApiError(
      await api(t, `/proxy/alpha@${forbidden}/secret`, { method: 'POST', body: 'x' }),
      403,
      'port-not-allowed',
    );
    // The allowed port still works on the same bolt, and the forbidden one saw nothing.
    expect((await api(t, `/proxy/alpha@${allowed}/`)).status).toBe(200);
    expect(reached).toBe(0);
  });

  it('answers 503, not 403, while a connected agent has not announced its ports yet', async () => {
    // Every reconnect has this moment: the new bolt is in the table before its Hello arrives.
    const port = await echoService();
    const t = await tower();
    const socket = await rawSocket(t, { cname: 'alpha' });
    expect(await rawOutcome(socket)).toEqual({ open: true });
    await eventually(() => t.table.get('alpha'));
    await expectApiError(await api(t, `/proxy/alpha@${port}/`), 503, 'not-ready');
    socket.send(helloMessage([port]));
    await announced(t, 'alpha');
    await expectApiError(await api(t, `/proxy/alpha@${port + 1}/`), 403, 'port-not-allowed');
  });

  it('answers 502 when the local service refuses the connection', async () => {
    const closedPort = await freePort();
    const { t } = await connected([closedPort]);
    await expectApiError(await api(t, `/proxy/alpha@${closedPort}/`), 502, 'upstream-unreachable');
    await idle(t);
  });

  it('answers 504 when no response comes within the relay timeout, and drops the local request', async () => {
    let arrived = 0;
    let abandoned = 0;
    const port = await service((req) => {
      arrived++;
      req.socket.on('close', () => abandoned++);
    });
    const { t } = await connected([port], { relayTimeout: 0.5 });
    const started = Date.now();
    await expectApiError(await api(t, `/proxy/alpha@${port}/slow`), 504, 'timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(arrived).toBe(1);
    await eventually(() => abandoned === 1);
    await idle(t);
  });

  it('answers 502 when the bolt is lost mid-exchange', async () => {
    let arrived = false;
    const port = await service(() => {
      arrived = true; // and never answers
    });
    const { t, client } = await connected([port]);
    const pending = api(t, `/proxy/alpha@${port}/slow`);
    await eventually(() => arrived);
    await client.close();
    await expectApiError(await pending, 502, 'bolt-lost');
    await eventually(() => t.table.get('alpha') === undefined);
  });

  it('answers 400 for a malformed target', async () => {
    const port = await echoService();
    const { t } = await connected([port]);
    await expectApiError(await api(t, '/proxy/nope'), 400, 'bad-target');
    await expectApiError(await api(t, '/proxy/alpha'), 400, 'bad-target');
    await expectApiError(await api(t, `/proxy/alpha@${port}x/`), 400, 'bad-target');
  });
});
