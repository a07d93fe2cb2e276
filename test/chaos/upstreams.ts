/**
 * The local services the chaos agents front, one per agent on its own loopback address and one
 * shared port (the tower polls every minion's status on the same port): a `/status` document the
 * test changes on demand, and `/bytes/<n>`, n deterministic bytes that depend on the agent and n,
 * so a relay answered with another agent's or another size's body is caught as well as a short one.
 */
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { type Document, documentChecksum, served } from '../helpers/checksums.js';
import { type StatusHost, statusHosts } from '../helpers/status-hosts.js';

const bodies = new Map<string, Buffer>();

/** The body `/bytes/<size>` of `cname`'s service answers with: xorshift32 seeded by both. */
export function patternBody(cname: string, size: number): Buffer {
  const key = `${cname}\u0000${size}`;
  let body = bodies.get(key);
  if (!body) {
    body = Buffer.alloc(size);
    let x = createHash('md5').update(key).digest().readUInt32LE(0) || 1;
    for (let i = 0; i + 4 <= size; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      body.writeInt32LE(x | 0, i);
    }
    for (let i = size - (size % 4); i < size; i++) body[i] = i & 0xff;
    bodies.set(key, body);
  }
  return body;
}

const SLICE = 64 * 1024;

/** Writes `body` in slices at the pace the socket takes them; chunked unless `length` is set. */
async function sendBody(res: http.ServerResponse, body: Buffer, length: boolean): Promise<void> {
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    ...(length ? { 'content-length': body.length } : {}),
  });
  for (let at = 0; at < body.length && !res.destroyed; at += SLICE) {
    if (!res.write(body.subarray(at, at + SLICE))) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (!res.destroyed) res.end();
}

export interface Upstream {
  readonly cname: string;
  /** The loopback address the service listens on; its agent relays there (`--local-host`). */
  readonly host: string;
  /** The status document the service answers with now. */
  document: Document;
}

export interface Upstreams {
  /** The port every service listens on: the agents' only allowed port and the tower's status port. */
  readonly port: number;
  readonly all: readonly Upstream[];
  /** Each minion's checksum as the tower should serve it now, by cname. */
  expected(): Map<string, string>;
}

function handlerFor(upstream: Upstream): http.RequestListener {
  return (req, res) => {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://upstream');
    const bytes = /^\/bytes\/(\d{1,9})$/.exec(url.pathname);
    if (bytes && req.method === 'GET') {
      void sendBody(res, patternBody(upstream.cname, Number(bytes[1])), !url.searchParams.has('chunked'));
      return;
    }
    if (url.pathname === '/status') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(upstream.document));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not-found"}');
  };
}

/** One service per cname, on 127.0.0.1, 127.0.0.2, ...; closed by `closeAll()`. */
export async function startUpstreams(cnames: readonly string[]): Promise<Upstreams> {
  const hosts = await statusHosts(cnames.length);
  const all = cnames.map((cname, i) => {
    const host = hosts.hosts[i] as StatusHost;
    const upstream: Upstream = {
      cname,
      host: host.host,
      document: { role: 'chaos', generation: 0, packages: [{ name: cname, version: '1.0.0' }] },
    };
    host.handler = handlerFor(upstream);
    return upstream;
  });
  return {
    port: hosts.port,
    all,
    expected: () => new Map(all.map((u) => [u.cname, documentChecksum(served(u.document, u.cname))])),
  };
}

/** Gives `upstream` a new status document, so its minion changes at the next poll. */
export function bumpStatus(upstream: Upstream): void {
  const generation = Number(upstream.document.generation) + 1;
  upstream.document = {
    role: 'chaos',
    generation,
    packages: [{ name: upstream.cname, version: `1.${generation}.0` }],
  };
}
