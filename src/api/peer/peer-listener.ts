/**
 * The peer listener: HTTPS with mutual TLS on which the other towers of a cluster hand this tower
 * the relays for the bolts it holds (`peer-routes.ts`).
 *
 * Every peer must present a certificate chained to the cluster CA. As on the bolt port, TLS itself
 * lets an unchained one finish its handshake (`rejectUnauthorized: false`) and the pre-auth guard then
 * closes it with a log line saying who and why, rather than Node dropping it without a word; until
 * then a connection is capped and held to the handshake deadline. TLS alone authenticates here, so
 * there is no upgrade deadline. Past TLS, Node's HTTPS server applies the same request deadlines as
 * the API's HTTP server (it is a listening server of its own, so they run and `close` can cut every
 * connection), and the relay the same timeouts as `/proxy`.
 */
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { getRequestListener } from '@hono/node-server';
import type { BoltTable } from '../../link/bolt-table.js';
import { listenOn } from '../../link/peer-identity.js';
import { PreAuthGuard, type PreAuthLimits } from '../../link/pre-auth-guard.js';
import { LimitLog } from '../../log/limit-log.js';
import type { Logger } from '../../log/logger.js';
import type { RelayObserver } from '../api-observer.js';
import { peerRoutes } from './peer-routes.js';
import { TowerCertificateRule } from './tower-certificate.js';

export interface PeerListenerOptions {
  readonly host: string;
  readonly port: number;
  /** PEM: the cluster CA every tower's certificate chains to, and this tower's certificate and key. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** Milliseconds to wait for an agent's response head, as the API's `/proxy` waits. */
  readonly relayTimeoutMs: number;
  /** A relayed body on which no byte moves for this long, either way, is aborted (ms). */
  readonly relayIdleTimeoutMs: number;
  /** Caps and the deadline for connections still in their TLS handshake; an upgrade deadline is ignored. */
  readonly preAuth: PreAuthLimits;
  /** Told each relay served for a peer; nothing is counted without it. */
  readonly observer?: RelayObserver;
}

export interface PeerListener {
  readonly address: AddressInfo;
  /** `https://host:port`, what peers dial (`PeerClient.target`). */
  readonly url: string;
  close(): Promise<void>;
}

export async function listenForPeers(
  options: PeerListenerOptions,
  table: BoltTable,
  log: Logger,
): Promise<PeerListener> {
  const { handshakeTimeoutMs, limit, limitPerAddress } = options.preAuth;
  const guard = new PreAuthGuard({ handshakeTimeoutMs, limit, limitPerAddress }, log, {
    listener: 'peer',
    refused: 'peer tower refused during TLS',
  });
  const app = peerRoutes(
    table,
    {
      relayTimeoutMs: options.relayTimeoutMs,
      relayIdleTimeoutMs: options.relayIdleTimeoutMs,
      limitLog: new LimitLog(log),
      towers: new TowerCertificateRule(options.ca),
      ...(options.observer ? { observer: options.observer } : {}),
    },
    log,
  );
  const server = createServer(
    {
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      requestCert: true,
      // The guard refuses a certificate that does not chain to the CA, saying who and why.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    getRequestListener(app.fetch),
  );
  guard.watch(server);
  // Before the HTTP server takes the socket: one the guard destroys never gets to send a request.
  server.prependListener('secureConnection', (socket: TLSSocket) => guard.secured(socket));

  const address = await listenOn(server, options.port, options.host);
  return {
    address,
    url: `https://${urlHost(address)}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        guard.close();
        server.closeAllConnections();
      }),
  };
}

/** The bound address as a URL host: loopback for a wildcard, IPv6 in brackets. */
function urlHost(address: AddressInfo): string {
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return host.includes(':') ? `[${host}]` : host;
}
