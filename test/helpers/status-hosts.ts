/**
 * Real local status services for agents that share one status port, as minions in the field do:
 * each service listens on its own loopback address (127.0.0.1, 127.0.0.2, ...) and the same port, so
 * the tower's one `statusPort` reaches a different service through each agent (`connectBolt`'s
 * `localHost`). Linux routes all of 127.0.0.0/8 to loopback. Servers are closed by `closeAll()`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { onCloseAll } from './harness.js';

export interface StatusHost {
  /** The loopback address this service listens on; the agent in front of it relays there. */
  readonly host: string;
  /** What the service answers; replace it to change the minion's status. */
  handler: http.RequestListener;
  /** Method and URL of every request the service received. */
  readonly requests: { method: string; url: string; accept: string | undefined }[];
}

export interface StatusHosts {
  readonly port: number;
  readonly hosts: readonly StatusHost[];
  /** The `connectBolt` options that make an agent relay to `host`. */
  agentOptions(host: StatusHost): { localHost?: string };
}

const notYet: http.RequestListener = (_req, res) => {
  res.writeHead(503).end();
};

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function shut(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** `count` services on one port, on 127.0.0.1 and the next loopback addresses. */
export async function statusHosts(count: number): Promise<StatusHosts> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const hosts: StatusHost[] = [];
    const servers: http.Server[] = [];
    let port = 0;
    try {
      for (let i = 0; i < count; i++) {
        const host: StatusHost = { host: `127.0.0.${i + 1}`, handler: notYet, requests: [] };
        const server = http.createServer((req, res) => {
          host.requests.push({ method: req.method ?? '', url: req.url ?? '', accept: req.headers.accept });
          host.handler(req, res);
        });
        servers.push(server);
        await listen(server, host.host, port);
        port = (server.address() as AddressInfo).port;
        hosts.push(host);
      }
    } catch (error) {
      await Promise.all(servers.map(shut));
      // The port the OS gave 127.0.0.1 is taken on another address: start over with a new one.
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw error;
    }
    onCloseAll(async () => {
      await Promise.all(servers.map(shut));
    });
    return {
      port,
      hosts,
      agentOptions: (host) => (host.host === '127.0.0.1' ? {} : { localHost: host.host }),
    };
  }
  throw new Error('no port was free on every loopback address');
}

/** Answers every request with `value` as JSON. */
export const answerJson =
  (value: unknown): http.RequestListener =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  };

/** Answers every request with `body` as `type`, status 200. */
export const answerText =
  (type: string, body: string | Buffer): http.RequestListener =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': type }).end(body);
  };

/** Never answers: the request stays open until the client gives up or the server is closed. */
export const hang: http.RequestListener = () => {};
