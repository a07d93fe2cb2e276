/**
 * The north-bound side of one relayed request, as the relay needs it: the request's header list,
 * its body, a signal for a client that goes away, and a way to send the agent's answer back.
 *
 * On the Node server the raw `IncomingMessage`/`ServerResponse` are used directly: reading the
 * header list and writing the answer with `writeHead` spares the WHATWG Request, Headers and
 * Response objects (and an AbortController) that would otherwise be built per request, which cost
 * more than the rest of a small relay on the tower. Elsewhere (`app.request()` in tests, other
 * runtimes) the same exchange is made of the WHATWG objects.
 */
import type { Writable } from 'node:stream';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import { endToEndHeaders } from '../bolt/http-headers.js';
import type { HeaderList } from '../bolt/protocol/heads.js';
import type { CancelSignal, RelayResponse } from '../bolt/tower/relay-client.js';

export interface RelayExchange {
  /** The request's header fields as a flat name/value list. */
  readonly headers: readonly string[];
  /** Aborts when the client goes away before the answer is complete. */
  readonly signal: CancelSignal;
  /** The request body, read straight from the socket where there is one. */
  body(): AsyncIterable<Uint8Array> | null;
  /** Sends the agent's answer; the returned Response is what the Hono handler returns. */
  respond(response: RelayResponse): Response;
}

export function relayExchange(c: Context): RelayExchange {
  return nodeExchange(c) ?? webExchange(c);
}

/** The agent is a peer like any other: hop-by-hop fields from it never reach the client. */
const answerHeaders = (response: RelayResponse): HeaderList => endToEndHeaders(response.headers);

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

function nodeExchange(c: Context): RelayExchange | undefined {
  const env = c.env as Partial<HttpBindings> | undefined;
  const { incoming, outgoing } = env ?? {};
  if (!incoming?.rawHeaders || !outgoing) return undefined;
  const gone = new ClientGone();
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) gone.fire();
  });
  return {
    headers: incoming.rawHeaders,
    signal: gone,
    body: () => incoming,
    respond(response) {
      const headers = answerHeaders(response);
      const { body } = response;
      if (body instanceof Uint8Array) {
        // The length of bytes in hand is known; a wrong one from the agent would break the client's framing.
        withContentLength(headers, body.length);
        outgoing.writeHead(response.status, headers);
        outgoing.end(body);
      } else {
        outgoing.writeHead(response.status, headers);
        if (body === null) outgoing.end();
        else void writeBody(body, outgoing);
      }
      return RESPONSE_ALREADY_SENT;
    },
  };
}

function webExchange(c: Context): RelayExchange {
  const headers: string[] = [];
  c.req.raw.headers.forEach((value, name) => {
    headers.push(name, value);
  });
  return {
    headers,
    signal: c.req.raw.signal,
    body: () => c.req.raw.body,
    respond(response) {
      const out = new Headers();
      const fields = answerHeaders(response);
      for (let i = 0; i < fields.length; i += 2) out.append(fields[i] ?? '', fields[i + 1] ?? '');
      return new Response(response.body, { status: response.status, headers: out });
    },
  };
}

function withContentLength(headers: HeaderList, length: number): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (headers[i]?.toLowerCase() === 'content-length') headers.splice(i, 2);
  }
  headers.push('content-length', String(length));
}

/**
 * Streams a body to the client at the pace its socket takes it. A client that goes away cancels
 * the body (and so the relay stream); a body that fails (the bolt went down) cuts the response
 * short, so the client sees an incomplete answer rather than a complete-looking one.
 */
async function writeBody(body: ReadableStream<Uint8Array>, out: Writable): Promise<void> {
  const reader = body.getReader();
  const onClose = () => void reader.cancel().catch(() => {});
  out.once('close', onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!out.write(value)) await drained(out);
      if (out.destroyed) return;
    }
    out.end();
  } catch {
    out.destroy();
  } finally {
    out.off('close', onClose);
  }
}

function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
}
