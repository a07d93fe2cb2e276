/**
 * The old stormbolt header relay, as middleware: a request carrying `stormbolt-target: <cname>:<port>`
 * is relayed to that minion's port exactly as `/proxy` would relay it (same path and query string,
 * headers minus hop-by-hop ones and minus the target header, streamed bodies). Requests without the
 * header go on to the next handler.
 *
 * The cname may itself contain ":", so the port is what follows the last one. Unlike the original
 * (whose string-vs-number port check made every request a 404 since May 2014), an unknown minion is
 * 404, a malformed target 400, and a port outside the capability 403, each in the API's error shape.
 */
import type { MiddlewareHandler } from 'hono';
import { isValidCname } from '../certs/cname.js';
import type { BoltTable } from '../link/bolt-table.js';
import type { ApiEnv } from './bindings.js';
import { apiError } from './errors.js';
import { type ProxyOptions, relayToBolt, unknownMinion } from './routes/proxy.js';

export const TARGET_HEADER = 'stormbolt-target';

export type HeaderRelayOptions = ProxyOptions;

export function headerRelay(table: BoltTable, options: HeaderRelayOptions): MiddlewareHandler<ApiEnv> {
  const relayOptions: ProxyOptions = {
    ...options,
    dropHeaders: new Set([...options.dropHeaders, TARGET_HEADER]),
  };
  return async (c, next) => {
    const target = c.req.header(TARGET_HEADER);
    if (target === undefined) return next();
    const { cname, port } = parseTarget(target);
    const bolt = table.get(cname) ?? options.remote?.(cname);
    const url = new URL(c.req.url);
    const path = `${url.pathname}${url.search}`;
    if (!bolt) {
      const message = `${TARGET_HEADER} [${target}]: no bolt is connected as "${cname}"`;
      throw unknownMinion(c, options, cname, port, path, message);
    }
    return relayToBolt(c, url, bolt, port, path, relayOptions);
  };
}

/** `<cname>:<port>`, split on the last colon; throws the API's 400 for anything else. */
export function parseTarget(target: string): { cname: string; port: number } {
  const value = target.trim();
  const colon = value.lastIndexOf(':');
  const cname = value.slice(0, colon);
  const portText = value.slice(colon + 1);
  const port = Number(portText);
  if (colon < 1 || !/^\d{1,5}$/.test(portText) || port < 1 || port > 65535 || !isValidCname(cname)) {
    throw apiError(
      400,
      'bad-target',
      `use ${TARGET_HEADER}: <cname>:<port> with a valid cname and port 1-65535`,
    );
  }
  return { cname, port };
}
