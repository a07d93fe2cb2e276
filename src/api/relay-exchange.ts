/**
 * The north-bound side of one relayed request, as the relay needs it: the request's header list,
 * its body, a signal for a client that goes away, and a way to send the agent's answer back, framed
 * by the tower (`response-framing.ts`) and held to the relay's idle deadline both ways.
 *
 * On the Node server the raw `IncomingMessage`/`ServerResponse` are used directly: reading the
 * header list and writing the answer with `writeHead` spares the WHATWG Request, Headers and
 * Response objects (and an AbortController) that would otherwise be built per request. Without
 * Node bindings (`app.request()`) the same exchange is made of the WHATWG objects: node-server always
 * passes the bindings, so this path serves in-process tests of `/proxy` (`test/api/proxy.test.ts`),
 * which check the same framing, errors and bodies.
 */
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { CancelSignal, RelayResponse } from '../link/relay.js';
import type { LimitLog } from '../log/limit-log.js';
import { type ApiContext, clientAddress, nodeBindings } from './bindings.js';
import { writeBody } from './node-response.js';
import { idleBounded } from './request-body.js';
import {
  type BodyTap,
  type BodyWatch,
  type FramedResponse,
  frameResponse,
  LengthGuard,
} from './response-framing.js';
import { framedBody } from './web-response.js';

export interface RelayExchange {
  /** The request's header fields as a flat name/value list. */
  readonly headers: readonly string[];
  /** The client's address as the tower's socket sees it; undefined without a socket. */
  readonly remoteAddress: string | undefined;
  /** Aborts when the client goes away before the answer is complete. */
  readonly signal: CancelSignal;
  /** The request body, read straight from the socket where there is one. */
  body(): AsyncIterable<Uint8Array> | null;
  /**
   * Sends the agent's answer; the returned Response is what the Hono handler returns. `tap` is told
   * how its body goes (the audit).
   */
  respond(response: RelayResponse, tap?: BodyTap): Response;
}

export interface ExchangeOptions {
  /** The minion that answers, named in log lines. */
  readonly cname: string;
  /** A body on which no byte moves for this long, either way, aborts the exchange (ms). */
  readonly idleTimeoutMs: number;
  /** Where a bad length or an idle body is logged, once per peer. */
  readonly limitLog: LimitLog;
}

export function relayExchange(c: ApiContext, options: ExchangeOptions): RelayExchange {
  const node = nodeBindings(c);
  return node ? nodeExchange(c, node, options) : webExchange(c, options);
}

/** Fires once, when the client's connection closes before the answer was written in full. */
class ClientGone implements CancelSignal {
  aborted = false;
  private listeners: (() => void)[] = [];

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.listeners = this.listeners.filter((each) => each !== listener);
  }

  fire(): void {
    if (this.aborted) return;
    this.aborted = true;
    for (const listener of this.listeners.splice(0)) listener();
  }
}

function nodeExchange(c: ApiContext, node: HttpBindings, options: ExchangeOptions): RelayExchange {
  const { incoming, outgoing } = node;
  const gone = new ClientGone();
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) gone.fire();
  });
  const remoteAddress = clientAddress(c);
  const watch = bodyWatch(options, remoteAddress);
  const method = c.req.method;
  return {
    headers: incoming.rawHeaders,
    remoteAddress,
    signal: gone,
    body: () =>
      idleBounded(incoming, options.idleTimeoutMs, () => {
        watch.idle('client');
        outgoing.destroy();
      }),
    respond(response, tap) {
      const watched = tap ? { ...watch, tap } : watch;
      const framed = framedFor(method, response, watched);
      // Hono answers HEAD by wrapping the GET route's Response, so it must be a real one.
      if (method === 'HEAD') return new Response(null, { status: framed.status, headers: fields(framed) });
      outgoing.writeHead(framed.status, framed.headers);
      const { body } = framed;
      if (body instanceof ReadableStream)
        void writeBody(body, outgoing, new LengthGuard(framed.expected), watched);
      else outgoing.end(body ?? undefined);
      return RESPONSE_ALREADY_SENT;
    },
  };
}

function webExchange(c: ApiContext, options: ExchangeOptions): RelayExchange {
  const headers: string[] = [];
  c.req.raw.headers.forEach((value, name) => {
    headers.push(name, value);
  });
  const watch = bodyWatch(options, undefined);
  const method = c.req.method;
  return {
    headers,
    remoteAddress: undefined,
    signal: c.req.raw.signal,
    body: () => {
      const { body } = c.req.raw;
      return body && idleBounded(body, options.idleTimeoutMs, () => watch.idle('client'));
    },
    respond(response, tap) {
      const watched = tap ? { ...watch, tap } : watch;
      const framed = framedFor(method, response, watched);
      const { body } = framed;
      const out =
        body instanceof ReadableStream ? framedBody(body, new LengthGuard(framed.expected), watched) : body;
      return new Response(out, { status: framed.status, headers: fields(framed) });
    },
  };
}

/** Frames the answer, logging an unusable length and dropping a body the answer cannot carry. */
function framedFor(method: string, response: RelayResponse, watch: BodyWatch): FramedResponse {
  const framed = frameResponse(method, response);
  if (framed.badLength) watch.badLength(`content-length ${JSON.stringify(framed.badLength)} was not used`);
  if (framed.body === null && response.body instanceof ReadableStream) {
    void response.body.cancel().catch(() => {});
  }
  return framed;
}

function fields(framed: FramedResponse): Headers {
  const out = new Headers();
  const { headers } = framed;
  for (let i = 0; i < headers.length; i += 2) out.append(headers[i] ?? '', headers[i + 1] ?? '');
  return out;
}

function bodyWatch(options: ExchangeOptions, remote: string | undefined): BodyWatch {
  const { cname, idleTimeoutMs, limitLog } = options;
  return {
    idleTimeoutMs,
    badLength(detail) {
      limitLog.hit(
        `minion:${cname}`,
        'content-length',
        { cname, detail },
        'the agent framed a relayed response wrongly; the tower framed it itself',
      );
    },
    idle(side) {
      const peer = side === 'agent' || remote === undefined ? `minion:${cname}` : `client:${remote}`;
      limitLog.hit(
        peer,
        'relayIdleTimeout',
        { cname, ...(remote === undefined ? {} : { remote }), waitingOn: side, idleTimeoutMs },
        'a relayed body stood still past the relay idle timeout; the exchange was aborted',
      );
    },
  };
}
