/**
 * The bindings the API runs with, and the one place that reads them.
 *
 * Under @hono/node-server every request's `c.env` is its `IncomingMessage`/`ServerResponse` pair
 * (`HttpBindings`); under `app.request()` there is no env at all, whatever the type says. Routes
 * therefore read the bindings only through `nodeBindings`, and a request without them takes the
 * WHATWG path with no client address instead of failing on `c.env.incoming` with a 500.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';

/** The app's environment: what `serve()` passes each request. */
export type ApiEnv = { Bindings: HttpBindings };

export type ApiContext = Context<ApiEnv>;

/** The request's Node objects when an HTTP/1 Node server carries it; undefined under `app.request()`. */
export function nodeBindings(c: ApiContext): HttpBindings | undefined {
  const env: HttpBindings | undefined = c.env;
  return env?.incoming instanceof IncomingMessage && env.outgoing instanceof ServerResponse ? env : undefined;
}

/** The client's address as the tower's socket sees it; undefined without a socket. */
export function clientAddress(c: ApiContext): string | undefined {
  return nodeBindings(c)?.incoming.socket?.remoteAddress;
}
