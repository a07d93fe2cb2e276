/**
 * The API's side of a drain, as middleware: counts every relay it admits in the tower's
 * `RelayTracker`, and once the tower is draining refuses new relays with 503 `draining` (they would
 * only lengthen the drain; a load balancer sends the retry to another tower) and asks every client
 * to close its connection after the answer, so kept-alive connections move on too.
 *
 * Everything but relays is still answered while draining, `/ready` first of all: it says `draining`.
 */
import type { MiddlewareHandler } from 'hono';
import type { ApiContext, ApiEnv } from './bindings.js';
import { nodeBindings } from './bindings.js';
import { apiError } from './errors.js';
import type { RelayTracker } from './relay-tracker.js';

export interface DrainGateOptions {
  readonly relays: RelayTracker;
  readonly draining: () => boolean;
  /** Whether a request is a relay (`/proxy/...`, or one the header relay takes). */
  readonly isRelay: (c: ApiContext) => boolean;
  /** Told about each relay refused while draining (for the drain's summary). */
  readonly onRefused?: () => void;
}

export function drainGate(options: DrainGateOptions): MiddlewareHandler<ApiEnv> {
  const { relays, draining, isRelay } = options;
  return async (c, next) => {
    const node = nodeBindings(c);
    if (draining()) {
      // Node then answers `Connection: close` and ends the connection after this response.
      if (node) node.outgoing.shouldKeepAlive = false;
      else c.header('Connection', 'close');
    }
    if (!isRelay(c)) return next();
    if (draining()) {
      options.onRefused?.();
      throw apiError(503, 'draining', 'this tower is shutting down: send the request to another tower');
    }
    if (!node) {
      const done = relays.begin(() => {});
      try {
        await next();
      } finally {
        done();
      }
      return;
    }
    const { outgoing } = node;
    // 'close' comes once the response is over either way: written in full, or its connection gone.
    const done = relays.begin(() => outgoing.destroy());
    outgoing.once('close', done);
    if (outgoing.destroyed) done();
    await next();
  };
}
