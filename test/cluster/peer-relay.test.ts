/**
 * Tower-to-tower relay over mutual TLS: `/proxy/<cname>@<port>/...` on tower A reaches a minion whose
 * bolt tower B holds, through B's peer listener, with both bodies streamed and the same answers as
 * a local relay. Two real towers on loopback, a real agent on B, real TLS from the fixture PKI.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { RemoteRelay } from '../../src/api/routes/proxy.js';
import type { Logger } from '../../src/log/logger.js';
import { silentLogger } from '../../src/log/logger.js';
import { createPeerClient } from '../../src/peer/peer-client.js';
import { PEER_ERROR_HEADER } from '../../src/peer/peer-error.js';
import {
  type ApiErrorBody,
  agent,
  announced,
  api,
  closeAll,
  eventually,
  onCloseAll,
  service,
  sha256,
  tower,
} from '../helpers/harness.js';
import { captureLog } from '../helpers/log-capture.js';
import { testPeerListener } from '../helpers/peer-listener.js';
import { type CertKey, testPki } from '../helpers/pki.js';

afterEach(closeAll);

const MiB = 1024 * 1024;

interface ClusterOptions {
  /** Ports the agent on B offers. */
  readonly ports: number[];
  /** Seconds A, then B, wait for a response head. */
  readonly aRelayTimeout?: number;
  readonly bRelayTimeout?: number;
  /** Cnames A hands to B (B need not hold them). */
  readonly heldByB?: readonly string[];
  readonly peerLog?: Logger;
  /** The certificate A presents to B; its own tower certificate by default. */
  readonly aIdentity?: CertKey;
  readonly headerRelay?: boolean;
}

/** Tower B with agent `m1` and its peer listener; tower A, with no agent, relaying `heldByB` to B. */
async function cluster(options: ClusterOptions) {
  const pki = await testPki();
  const b = await tower({ relayTimeout: options.bRelayTimeout ?? 5 });
  await agent(b.boltUrl, 'm1', options.ports);
  await announced(b, 'm1');
  const peerB = await testPeerListener(
    pki,
    b.table,
    options.peerLog ?? silentLogger(),
    (options.bRelayTimeout ?? 5) * 1000,
  );
  const peers = createPeerClient({ ca: pki.ca, ...(options.aIdentity ?? pki.tower) });
  onCloseAll(() => peers.close());
  const held = new Set(options.heldByB ?? ['m1']);
  const remoteRelay: RemoteRelay = (cname) => (held.has(cname) ? peers.target(cname, peerB.url) : undefined);
  const a = await tower({
    relayTimeout: options.aRelayTimeout ?? 5,
    headerRelay: options.headerRelay ?? false,
    remoteRelay,
  });
  return { a, b, peerB };
}

const expectApiError = async (res: Response, status: number, error: string) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.has(PEER_ERROR_HEADER)).toBe(false);
  const body = (await res.json()) as ApiErrorBody;
  expect(body).toEqual({ error, message: expect.any(String) });
};

/** A service whose requests never get an answer; `arrived` and `closed` follow the first one. */
async function silentService() {
  let arrived: () => void = () => {};
  let closed: () => void = () => {};
  const seen = {
    arrived: new Promise<void>((resolve) => {
      arrived = resolve;
    }),
    closed: new Promise<void>((resolve) => {
      closed = resolve;
    }),
  };
  const port = await service((req, res) => {
    arrived();
    res.on('close', () => closed());
    req.resume();
  });
  return { port, ...seen };
}

/** A request straight to B's peer listener presenting `identity` (none when null). */
async function askPeer(url: string, identity: CertKey | null) {
  const pki = await testPki();
  const dispatcher = new Agent({ connect: { ca: pki.ca, ...(identity ?? {}) } });
  onCloseAll(() => dispatcher.destroy());
  return request(`${url}/relay/m1@1/`, { dispatcher });
}

/** A download that reads `first` bytes, then stops reading until `finish()`. */
function stalledDownload(url: string, first: number) {
  return new Promise<{
    consumed(): number;
    finish(): Promise<{ bytes: number; digest: string }>;
    destroy(): void;
  }>((resolveStalled, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        const hash = createHash('sha256');
        let consumed = 0;
        let stalled = false;
        const done = new Promise<{ bytes: number; digest: string }>((resolve, fail) => {
          res.on('end', () => resolve({ bytes: consumed, digest: hash.digest('hex') }));
          res.on('error', fail);
        });
        res.on('data', (data: Buffer) => {
          consumed += data.length;
          hash.update(data);
          if (consumed >= first && !stalled) {
            stalled = true;
            res.pause();
            resolveStalled({
              consumed: () => consumed,
              finish: () => {
                res.resume();
                return done;
              },
              destroy: () => res.destroy(),
            });
          }
        });
      })
      .on('error', reject);
  });
}

/**
 * Resolves once `value()` has not moved for a run of event-loop turns, or has reached `ceiling`.
 * Every party of the relay lives in this process, so while bytes still flow each turn has I/O to do.
 */
async function standsStill(value: () => number, ceiling: number, turns = 200): Promise<void> {
  let last = value();
  for (let still = 0; still < turns && last < ceiling; ) {
    await new Promise((resolve) => setImmediate(resolve));
    const now = value();
    still = now === last ? still + 1 : 0;
    last = now;
  }
}

describe('relay through a peer tower', () => {
  it('relays GET and POST of 1 MiB both ways byte-identical, with the forwarding fields', async () => {
    const blob = randomBytes(MiB);
    let forwarded: http.IncomingHttpHeaders = {};
    const port = await service((req, res) => {
      forwarded = req.headers;
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-from': 'agent' });
        res.end(blob);
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => res.end(Buffer.concat(chunks)));
    });
    const { a } = await cluster({ ports: [port] });

    const got = await api(a, `/proxy/m1@${port}/blob?x=1`);
    expect(got.status).toBe(200);
    expect(got.headers.get('x-from')).toBe('agent');
    expect(sha256(new Uint8Array(await got.arrayBuffer()))).toBe(sha256(blob));
    // The client's address, then A's: B kept A's chain as a trusted proxy's, and A's protocol.
    expect(forwarded['x-forwarded-for']).toBe('127.0.0.1, 127.0.0.1');
    expect(forwarded['x-forwarded-proto']).toBe('http');

    const upload = randomBytes(MiB);
    const posted = await api(a, `/proxy/m1@${port}/echo`, { method: 'POST', body: upload });
    expect(posted.status).toBe(200);
    expect(sha256(new Uint8Array(await posted.arrayBuffer()))).toBe(sha256(upload));
  });

  it('relays HEAD and 204 without a body, and the stormbolt-target header relay too', async () => {
    const port = await service((req, res) => {
      if (req.url === '/empty') {
        res.writeHead(204, { 'x-empty': 'yes' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' });
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    });
    const { a } = await cluster({ ports: [port], headerRelay: true });
    const head = await api(a, `/proxy/m1@${port}/thing`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('5');
    expect(await head.text()).toBe('');
    const empty = await api(a, `/proxy/m1@${port}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.headers.get('x-empty')).toBe('yes');
    const viaHeader = await api(a, '/anything', { headers: { 'stormbolt-target': `m1:${port}` } });
    expect(viaHeader.status).toBe(200);
    expect(await viaHeader.text()).toBe('hello');
  });

  it("passes an agent's own error answer through unchanged, minus a forged peer mark", async () => {
    const port = await service((_req, res) => {
      res.writeHead(404, {
        'content-type': 'application/json',
        'x-agent': 'yes',
        [PEER_ERROR_HEADER]: '1',
      });
      res.end(JSON.stringify({ error: 'port-not-allowed', message: 'the agent says so' }));
    });
    const { a } = await cluster({ ports: [port] });
    const res = await api(a, `/proxy/m1@${port}/missing`);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-agent')).toBe('yes');
    expect(res.headers.has(PEER_ERROR_HEADER)).toBe(false);
    expect(await res.json()).toEqual({ error: 'port-not-allowed', message: 'the agent says so' });
  });

  it('streams 100 MB through A with back-pressure: a stalled reader holds the service back', async () => {
    const total = 100 * MiB;
    const chunk = randomBytes(64 * 1024);
    let produced = 0;
    const port = await service(async (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
      while (produced < total && !res.destroyed) {
        produced += chunk.length;
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end();
    });
    const { a } = await cluster({ ports: [port] });
    const baseline = process.memoryUsage().arrayBuffers;
    const download = await stalledDownload(`${a.apiUrl}/proxy/m1@${port}/big`, MiB);
    // Anything on the way buffering without bound would let the service write all 100 MB now.
    await standsStill(() => produced, total);
    const held = produced - download.consumed();
    const growth = process.memoryUsage().arrayBuffers - baseline;
    const result = await download.finish();
    const expected = createHash('sha256');
    for (let sent = 0; sent < total; sent += chunk.length) expected.update(chunk);
    expect(result.bytes).toBe(total);
    expect(result.digest).toBe(expected.digest('hex'));
    expect(held).toBeLessThan(32 * MiB);
    expect(growth).toBeLessThan(32 * MiB);
  });

  it('answers 403 for a port not allowed and 404 for a cname B does not hold, as a local relay', async () => {
    const port = await service((_req, res) => res.end('ok'));
    const { a } = await cluster({ ports: [port], heldByB: ['m1', 'ghost'] });
    await expectApiError(await api(a, `/proxy/m1@${port + 1}/`), 403, 'port-not-allowed');
    await expectApiError(await api(a, `/proxy/ghost@${port}/`), 404, 'unknown-minion');
    await expectApiError(await api(a, `/proxy/nobody@${port}/`), 404, 'unknown-minion');
    expect(await (await api(a, `/proxy/m1@${port}/`)).text()).toBe('ok');
  });

  it("answers 502 bolt-lost once B's peer listener is gone", async () => {
    const port = await service((_req, res) => res.end('ok'));
    const { a, peerB } = await cluster({ ports: [port] });
    expect((await api(a, `/proxy/m1@${port}/`)).status).toBe(200);
    await peerB.close();
    await expectApiError(await api(a, `/proxy/m1@${port}/`), 502, 'bolt-lost');
  });

  it("answers 504 when A's relay timeout passes, and the agent's request is cancelled", async () => {
    const silent = await silentService();
    const { a } = await cluster({ ports: [silent.port], aRelayTimeout: 0.3, bRelayTimeout: 30 });
    await expectApiError(await api(a, `/proxy/m1@${silent.port}/slow`), 504, 'timeout');
    await silent.closed;
  });

  it("answers 504 when B's relay timeout passes first", async () => {
    const silent = await silentService();
    const { a } = await cluster({ ports: [silent.port], aRelayTimeout: 30, bRelayTimeout: 0.3 });
    await expectApiError(await api(a, `/proxy/m1@${silent.port}/slow`), 504, 'timeout');
    await silent.closed;
  });

  it("cancels the request at B's agent service when the client at A goes away", async () => {
    const silent = await silentService();
    const { a, b } = await cluster({ ports: [silent.port] });
    const controller = new AbortController();
    const answer = api(a, `/proxy/m1@${silent.port}/wait`, { signal: controller.signal });
    await silent.arrived;
    controller.abort();
    await expect(answer).rejects.toThrow();
    await silent.closed;
    await eventually(() => b.table.get('m1')?.openStreams === 0);
  });

  it("cancels B's agent service mid-upload when the client at A goes away", async () => {
    let received = 0;
    let closed: () => void = () => {};
    const serviceClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    let firstBytes: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      firstBytes = resolve;
    });
    const port = await service((req, res) => {
      req.on('data', (data: Buffer) => {
        received += data.length;
        firstBytes();
      });
      res.on('close', () => closed());
    });
    const { a, b } = await cluster({ ports: [port] });
    const upload = http.request(`${a.apiUrl}/proxy/m1@${port}/upload`, {
      method: 'POST',
      agent: false,
      headers: { 'content-length': String(10 * MiB) },
    });
    upload.on('error', () => {});
    upload.write(randomBytes(64 * 1024));
    await arrived;
    upload.destroy();
    await serviceClosed;
    expect(received).toBeLessThan(10 * MiB);
    await eventually(() => b.table.get('m1')?.openStreams === 0);
  });

  it("cancels B's agent service mid-download when the client at A goes away", async () => {
    let closed: () => void = () => {};
    const serviceClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const chunk = randomBytes(64 * 1024);
    const port = await service(async (req, res) => {
      req.resume();
      res.on('close', () => closed());
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      // Endless, at the pace the relay takes it.
      while (!res.destroyed) {
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
      }
    });
    const { a, b } = await cluster({ ports: [port] });
    const download = await stalledDownload(`${a.apiUrl}/proxy/m1@${port}/endless`, MiB);
    download.destroy();
    await serviceClosed;
    await eventually(() => b.table.get('m1')?.openStreams === 0);
  });
});

describe("the peer listener's door", () => {
  it('answers an agent certificate 403 not-a-tower, logged once per peer', async () => {
    const { log, lines } = captureLog();
    const { peerB } = await cluster({ ports: [1], peerLog: log });
    const pki = await testPki();
    const identity = await pki.client('m1');
    for (let i = 0; i < 2; i++) {
      const res = await askPeer(peerB.url, identity);
      expect(res.statusCode).toBe(403);
      expect(res.headers[PEER_ERROR_HEADER]).toBe('1');
      expect(await res.body.json()).toEqual({ error: 'not-a-tower', message: expect.any(String) });
    }
    expect(lines.filter((line) => line.msg === 'peer relay refused: not a tower')).toHaveLength(1);
  });

  it('makes a peer refusing the origin (not-a-tower) a 502 at the origin', async () => {
    const pki = await testPki();
    const port = await service((_req, res) => res.end('ok'));
    const { a } = await cluster({ ports: [port], aIdentity: await pki.client('pretender') });
    const res = await api(a, `/proxy/m1@${port}/`);
    expect(res.status).toBe(502);
    const body = (await res.json()) as ApiErrorBody;
    expect(body.error).toBe('protocol');
    expect(body.message).toMatch(/not-a-tower/);
  });

  it('fails TLS for a certificate from another CA, and for none', async () => {
    const { log, lines } = captureLog();
    const { peerB } = await cluster({ ports: [1], peerLog: log });
    const pki = await testPki();
    await expect(askPeer(peerB.url, pki.otherCaClient)).rejects.toThrow();
    await expect(askPeer(peerB.url, null)).rejects.toThrow();
    await eventually(() => lines.filter((line) => line.msg === 'peer tower refused during TLS').length === 2);
  });
});
