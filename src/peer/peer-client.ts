/**
 * The origin side of the tower-to-tower relay: a pool of mutually authenticated HTTPS connections to
 * peer towers, and relay targets that hand an exchange to the peer holding a cname's bolt.
 *
 * The tower presents its own certificate (serverAuth and clientAuth, see certs/authority.ts) and
 * trusts peers chained to the cluster CA. undici keeps the connections alive between exchanges; it
 * has no timeouts of its own here, since the relay bounds the wait for a head (`timeoutMs`) and the
 * API bounds an idle body, exactly as for a local bolt.
 */
import { Agent } from 'undici';
import type { RelayTarget } from '../link/bolt.js';
import { relayToPeer } from './peer-exchange.js';

export interface PeerClientOptions {
  /** PEM: the cluster CA peers' certificates chain to, and this tower's certificate and key. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** Connections open at most to one peer tower; exchanges beyond wait for one. */
  readonly connections?: number;
}

/** Connections to one peer by default: one per exchange in flight, as a local bolt has streams. */
export const DEFAULT_PEER_CONNECTIONS = 128;

export interface PeerClient {
  /** What relays `cname`'s exchanges to the peer tower listening at `peerUrl` (`https://host:port`). */
  target(cname: string, peerUrl: string): RelayTarget;
  /** Closes every connection, cutting exchanges still in flight. */
  close(): Promise<void>;
}

export function createPeerClient(options: PeerClientOptions): PeerClient {
  const dispatcher = new Agent({
    connect: { ca: options.ca, cert: options.cert, key: options.key, minVersion: 'TLSv1.2' },
    connections: options.connections ?? DEFAULT_PEER_CONNECTIONS,
    pipelining: 1,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  return {
    target: (cname, origin) => ({
      cname,
      relay: (port, request, relayOptions) =>
        relayToPeer({ dispatcher, origin, cname, port }, request, relayOptions),
    }),
    close: () => dispatcher.destroy(),
  };
}
