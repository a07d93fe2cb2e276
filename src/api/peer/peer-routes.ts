/**
 * What a tower serves its peers: `/relay/<cname>@<port>/<path>`, any method, relayed to a bolt this
 * tower holds, exactly as its own `/proxy` would (`relayToBolt`). Only the local bolt table is
 * consulted, so an exchange never goes on to a third tower and cannot loop.
 *
 * Only towers are served (`TowerCertificateRule`); any other authenticated peer gets 403
 * `not-a-tower`, logged once per address. Every answer of this tower's own is in the API's shape and
 * carries `PEER_ERROR_HEADER`, which the origin reads back into the same `RelayError`; the field is
 * stripped from agents' answers. The origin's forwarding fields are kept: the peer is a trusted proxy.
 */
import type { TLSSocket } from 'node:tls';
import { Hono } from 'hono';
import { CNAME_CHARS } from '../../certs/cname.js';
import type { RelayTarget } from '../../link/bolt.js';
import type { BoltTable } from '../../link/bolt-table.js';
import type { LimitLog } from '../../log/limit-log.js';
import type { Logger } from '../../log/logger.js';
import { PEER_ERROR_HEADER, withoutPeerMark } from '../../peer/peer-error.js';
import type { RelayObserver } from '../api-observer.js';
import { type ApiEnv, nodeBindings } from '../bindings.js';
import { apiError, errorHandler } from '../errors.js';
import { type ProxyOptions, relayToBolt } from '../routes/proxy.js';
import type { TowerCertificateRule } from './tower-certificate.js';

export interface PeerRouteOptions {
  readonly relayTimeoutMs: number;
  readonly relayIdleTimeoutMs: number;
  readonly limitLog: LimitLog;
  readonly towers: TowerCertificateRule;
  /** Told each relay served for a peer (`stormtower_peer_relays_total{route="from-peer"}`). */
  readonly observer?: RelayObserver;
}

// /relay/<cname>@<port>[/<rest>]; the cname charset has no "@" or "/".
const TARGET = new RegExp(`^/relay/(${CNAME_CHARS})@(\\d{1,5})(/.*)?$`);

// The origin tower is an authenticated peer: its X-Forwarded-For chain and -Proto are kept.
const EVERY_PEER = { has: () => true };

export function peerRoutes(table: BoltTable, options: PeerRouteOptions, log: Logger): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const rendered = errorHandler(log);
  app.onError(async (error, c) => {
    const response = await rendered(error, c);
    response.headers.set(PEER_ERROR_HEADER, '1');
    return response;
  });
  app.notFound(() => {
    throw apiError(404, 'not-found', 'no such route');
  });
  const relay: ProxyOptions = {
    relayTimeoutMs: options.relayTimeoutMs,
    relayIdleTimeoutMs: options.relayIdleTimeoutMs,
    dropHeaders: new Set(['host']),
    limitLog: options.limitLog,
    trustProxy: EVERY_PEER,
    ...(options.observer ? { observer: options.observer } : {}),
  };
  app.use('*', async (c, next) => {
    const socket = nodeBindings(c)?.incoming.socket as TLSSocket | undefined;
    const refusal = socket ? options.towers.refusal(socket) : 'not a TLS connection';
    if (refusal === null) return next();
    const remote = socket?.remoteAddress ?? 'unknown';
    options.limitLog.once(
      remote,
      'not-a-tower',
      { remote, reason: refusal },
      'peer relay refused: not a tower',
    );
    throw apiError(403, 'not-a-tower', `only towers may relay here: ${refusal}`);
  });
  app.all('/relay/*', (c) => {
    const url = new URL(c.req.url);
    const match = TARGET.exec(url.pathname);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      throw apiError(
        400,
        'bad-target',
        'use /relay/<cname>@<port>/<path> with a valid cname and port 1-65535',
      );
    }
    const cname = match[1] ?? '';
    const bolt = table.get(cname);
    if (!bolt) throw apiError(404, 'unknown-minion', `this tower holds no bolt for "${cname}"`);
    return relayToBolt(c, url, unmarked(bolt), port, `${match[3] ?? '/'}${url.search}`, relay);
  });
  return app;
}

/** `bolt`, with the peer-error mark taken off its agent's answers so no agent can forge a refusal. */
function unmarked(bolt: RelayTarget): RelayTarget {
  return {
    cname: bolt.cname,
    relay: async (port, request, options) => {
      const response = await bolt.relay(port, request, options);
      const headers = withoutPeerMark(response.headers);
      return headers === response.headers ? response : { ...response, headers };
    },
  };
}
