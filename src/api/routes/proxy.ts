/**
 * `/proxy/:id@:port/*`: relays any HTTP request to a port of a minion, streaming both bodies.
 *
 * The relayed path is what follows `@port`, with the query string kept (the old tower dropped it).
 * Hop-by-hop headers stay on this side, and so does the tower's own bearer token; the forwarding
 * fields are the tower's (`forwarding.ts`). `relayToBolt` is the relay itself, shared with the
 * `stormbolt-target` header relay.
 */
import { Hono } from 'hono';
import type { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CNAME_CHARS } from '../../certs/cname.js';
import type { RelayTarget } from '../../link/bolt.js';
import type { BoltTable } from '../../link/bolt-table.js';
import { endToEndHeaders } from '../../link/http-headers.js';
import { RelayError, type RelayErrorCode } from '../../link/relay-error.js';
import type { LimitLog } from '../../log/limit-log.js';
import { outcomeOf, type RelayObserver } from '../api-observer.js';
import { type AuditedRelay, auditRelay } from '../audit/audited-relay.js';
import type { RelayAudit } from '../audit/relay-audit.js';
import { REQUEST_ID_HEADER, requestIdOf, setRequestId } from '../audit/request-id.js';
import type { ApiContext, ApiEnv } from '../bindings.js';
import { apiError } from '../errors.js';
import { addForwarding, type TrustedProxies } from '../forwarding.js';
import { relayExchange } from '../relay-exchange.js';
import { meteredRequestBody, meteredResponse } from '../relay-metering.js';
import { withoutSessionCookie } from '../session/session-cookie.js';

const statusFor: Record<RelayErrorCode, ContentfulStatusCode> = {
  'port-not-allowed': 403,
  'not-ready': 503,
  'upstream-unreachable': 502,
  'upstream-failed': 502,
  'bolt-lost': 502,
  protocol: 502,
  refused: 503,
  timeout: 504,
  'unsupported-body': 415,
  'body-too-large': 413,
  'unknown-minion': 404,
};

export interface ProxyOptions {
  readonly relayTimeoutMs: number;
  /** Request headers never relayed (lower-case), e.g. `authorization` when it carries the tower's token. */
  readonly dropHeaders: ReadonlySet<string>;
  /** A relayed body on which no byte moves for this long, either way, is aborted (ms). */
  readonly relayIdleTimeoutMs: number;
  /** Where a misbehaving peer is logged, once per peer. */
  readonly limitLog: LimitLog;
  /** Proxies whose X-Forwarded-For is kept; without it, no client's is. */
  readonly trustProxy?: Pick<TrustedProxies, 'has'>;
  /** Who answers for a cname no local bolt holds (a peer tower in a cluster); local bolts always win. */
  readonly remote?: RemoteRelay;
  /** Told each exchange's outcome, time to the head and body bytes; nothing is counted without it. */
  readonly observer?: RelayObserver;
  /** Remove the tower's session cookie from relayed `Cookie` headers (it signs in to the tower only). */
  readonly stripSessionCookie?: boolean;
  /**
   * Writes each relay's audit line, and gives each relay a request id (sent to the agent and back to
   * the client). Without it, a client's `x-request-id` is relayed as it came (a peer tower's relay).
   */
  readonly audit?: RelayAudit;
}

/** The relay target for a cname held elsewhere, or undefined when no one holds it. */
export type RemoteRelay = (cname: string) => RelayTarget | undefined;

// /proxy/<cname>@<port>[/<rest>]; the cname charset has no "@" or "/".
const TARGET = new RegExp(`^/proxy/(${CNAME_CHARS})@(\\d{1,5})(/.*)?$`);

export function proxyRoutes(table: BoltTable, options: ProxyOptions): Hono<ApiEnv> {
  const handler = new Hono<ApiEnv>();
  handler.all('/proxy/*', async (c) => {
    const url = new URL(c.req.url);
    const match = TARGET.exec(url.pathname);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      throw apiError(
        400,
        'bad-target',
        'use /proxy/<cname>@<port>/<path> with a valid cname and port 1-65535',
      );
    }
    const cname = match[1] ?? '';
    const bolt = table.get(cname) ?? options.remote?.(cname);
    const path = `${match[3] ?? '/'}${url.search}`;
    if (!bolt) throw unknownMinion(c, options, cname, port, path, `no bolt is connected as "${cname}"`);
    return relayToBolt(c, url, bolt, port, path, options);
  });
  return handler;
}

/** Drops the tower's session cookie from every `Cookie` line of `headers`, in place. */
function stripSessionCookie(headers: string[]): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (headers[i]?.toLowerCase() !== 'cookie') continue;
    const kept = withoutSessionCookie(headers[i + 1] ?? '');
    if (kept === undefined) headers.splice(i, 2);
    else headers[i + 1] = kept;
  }
}

/**
 * GET and HEAD carry no body: not touching it spares building a WHATWG Request on the hot path. A
 * legacy agent's GET does, as the old tower relayed a JSON body on any method.
 */
function carriesBody(method: string, bolt: RelayTarget): boolean {
  if (method === 'HEAD') return false;
  return method !== 'GET' || ('transport' in bolt && bolt.transport === 'legacy');
}

/**
 * Relays the request in `c` (whose parsed `url` the caller already holds) to `port` of `bolt` as
 * `path` (path and query string), and answers with the agent's response, or with the API's error
 * shape for a `RelayError`.
 */
export async function relayToBolt(
  c: ApiContext,
  url: URL,
  bolt: RelayTarget,
  port: number,
  path: string,
  options: ProxyOptions,
): Promise<Response> {
  const exchange = relayExchange(c, {
    cname: bolt.cname,
    idleTimeoutMs: options.relayIdleTimeoutMs,
    limitLog: options.limitLog,
  });
  const trusted = options.trustProxy?.has(exchange.remoteAddress) ?? false;
  const relayed = endToEndHeaders(exchange.headers, options.dropHeaders);
  if (options.stripSessionCookie) stripSessionCookie(relayed);
  addForwarding(relayed, exchange.remoteAddress, url.protocol.replace(':', ''), trusted);
  const audited =
    options.audit && auditRelay(c, options.audit, requestIdOf(exchange.headers), bolt.cname, port, path);
  if (audited) setRequestId(relayed, audited.requestId);
  const raw = carriesBody(c.req.method, bolt) ? exchange.body() : null;
  const { observer } = options;
  const metered = raw && observer ? meteredRequestBody(raw, observer) : raw;
  const body = metered && audited ? audited.requestBody(metered) : metered;
  const started = observer ? performance.now() : 0;

  try {
    const response = await bolt.relay(
      port,
      { method: c.req.method, path, headers: relayed, body },
      { timeoutMs: options.relayTimeoutMs, signal: exchange.signal },
    );
    observer?.relayed(outcomeOf(response.status), (performance.now() - started) / 1000);
    const counted = observer ? meteredResponse(response, observer) : response;
    return audited ? exchange.respond(audited.answered(counted), audited) : exchange.respond(counted);
  } catch (error) {
    if (!(error instanceof RelayError)) {
      audited?.failed(error, 500);
      throw error;
    }
    observer?.relayed('error', (performance.now() - started) / 1000);
    throw relayFailure(error, audited);
  }
}

/** The API's error for a relay that failed with `error`, audited (and carrying its id) when audited. */
function relayFailure(error: RelayError, audited: AuditedRelay | undefined): HTTPException {
  const status = statusFor[error.code];
  audited?.failed(error, status);
  const failure = apiError(status, error.code, error.message);
  if (audited) failure.res?.headers.set(REQUEST_ID_HEADER, audited.requestId);
  return failure;
}

/**
 * The 404 for a cname no bolt holds, here or (in a cluster) on another tower: audited like any
 * relay, as an operator looking for a client's request finds it in the audit log too.
 */
export function unknownMinion(
  c: ApiContext,
  options: ProxyOptions,
  cname: string,
  port: number,
  path: string,
  message: string,
): HTTPException {
  const error = new RelayError('unknown-minion', message);
  if (!options.audit) return relayFailure(error, undefined);
  const id = requestIdOf([REQUEST_ID_HEADER, c.req.header(REQUEST_ID_HEADER) ?? '']);
  return relayFailure(error, auditRelay(c, options.audit, id, cname, port, path));
}
