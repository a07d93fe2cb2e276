/**
 * One relay handed to a peer tower, as an undici dispatch handler (undici's lowest-level API, as the
 * agent's local exchange uses it): the request goes to the peer's `/relay/<cname>@<port><path>` with
 * its body streamed, and the answer comes back as a `RelayResponse` whose body streams too.
 *
 * Back-pressure: the response body is a WHATWG stream with a high-water mark of
 * `PEER_BODY_HIGH_WATER` bytes; past it undici is paused (`onData` returns false), so the peer's
 * socket stops being read and TCP holds the rest back, until the reader pulls again.
 *
 * A body that arrives whole with its head (undici parses one socket read before any microtask runs)
 * is handed on as bytes, sparing a stream per small exchange. The peer's own refusal (marked, see
 * peer-error.ts) becomes a `RelayError`; a peer that cannot be reached or drops the connection
 * before the head is `bolt-lost`.
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { errors } from 'undici';
import { ExchangeDeadline } from '../link/exchange-deadline.js';
import { endToEndHeaders, hasNoBody } from '../link/http-headers.js';
import type { HeaderList, RelayOptions, RelayRequest, RelayResponse } from '../link/relay.js';
import { RelayError } from '../link/relay-error.js';
import { isPeerError, MAX_PEER_ERROR_BYTES, peerRefusal } from './peer-error.js';
import { StoppableBody } from './stoppable-body.js';

/** Bytes of response body queued on this side before the peer's socket stops being read. */
export const PEER_BODY_HIGH_WATER = 256 * 1024;

// undici refuses `expect` outright; `host` would replace the peer's own (the API drops it anyway).
const NOT_SENT = new Set(['host', 'expect']);

/** Where one exchange stands; each state holds what it needs. */
type Answer =
  | { readonly kind: 'waiting' }
  | { readonly kind: 'refused'; readonly status: number; readonly chunks: Buffer[]; bytes: number }
  | { readonly kind: 'early'; readonly chunks: Buffer[]; ended: boolean; error?: Error }
  | { readonly kind: 'streaming'; readonly control: ReadableStreamDefaultController<Uint8Array> }
  | { readonly kind: 'over' };

export interface PeerExchangeTarget {
  readonly dispatcher: Dispatcher;
  /** `https://host:port` of the peer tower. */
  readonly origin: string;
  readonly cname: string;
  readonly port: number;
}

export function relayToPeer(
  target: PeerExchangeTarget,
  request: RelayRequest,
  options: RelayOptions,
): Promise<RelayResponse> {
  return new Promise((resolve, reject) => {
    new PeerExchange(target, request, options, resolve, reject);
  });
}

class PeerExchange implements Dispatcher.DispatchHandlers {
  private answer: Answer = { kind: 'waiting' };
  private status = 0;
  private headers: HeaderList = [];
  private abortPeer: ((error: Error) => void) | undefined;
  /** Why the exchange failed before undici handed over its abort function. */
  private abortedEarly: Error | undefined;
  private resumePeer: (() => void) | undefined;
  private readonly body: StoppableBody | null;
  private readonly deadline: ExchangeDeadline;

  constructor(
    private readonly target: PeerExchangeTarget,
    private readonly request: RelayRequest,
    options: RelayOptions,
    private readonly resolve: (response: RelayResponse) => void,
    private readonly reject: (error: RelayError) => void,
  ) {
    this.body = request.body === null ? null : new StoppableBody(request.body);
    this.deadline = new ExchangeDeadline(options, 'response from the peer tower', (error) =>
      this.failed(error),
    );
    if (this.deadline.settled) return;
    const { cname, port, origin } = target;
    try {
      target.dispatcher.dispatch(
        {
          origin,
          path: `/relay/${cname}@${port}${request.path}`,
          method: request.method as Dispatcher.HttpMethod,
          headers: request.headers.filter(
            (_, i, list) => !NOT_SENT.has((list[i - (i % 2)] ?? '').toLowerCase()),
          ),
          // undici reads an async iterable body (core/request.js) though its types omit it.
          body: this.body as unknown as Readable | null,
        },
        this,
      );
    } catch (error) {
      // Arguments undici refuses may be thrown rather than reported through the handler.
      this.onError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  onConnect(abort: (error?: Error) => void): void {
    if (this.abortedEarly) abort(this.abortedEarly);
    else this.abortPeer = abort;
  }

  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (status < 200 || this.answer.kind !== 'waiting') return true;
    this.resumePeer = resume;
    const headers = headerList(rawHeaders);
    if (isPeerError(headers)) {
      this.answer = { kind: 'refused', status, chunks: [], bytes: 0 };
      return true;
    }
    if (!this.deadline.settle()) return false;
    if (hasNoBody(this.request.method, status)) {
      this.answer = { kind: 'over' };
      this.resolve({ status, headers, body: null });
      return true;
    }
    this.status = status;
    this.headers = headers;
    const early: Answer = { kind: 'early', chunks: [], ended: false };
    this.answer = early;
    queueMicrotask(() => this.earlyDone(early));
    return true;
  }

  onData(chunk: Buffer): boolean {
    const answer = this.answer;
    switch (answer.kind) {
      case 'refused':
        if (answer.bytes < MAX_PEER_ERROR_BYTES) answer.chunks.push(chunk);
        answer.bytes += chunk.length;
        return true;
      case 'early':
        answer.chunks.push(chunk);
        return true;
      case 'streaming':
        // undici hands an empty chunk when it resumes with nothing read: pausing on it would loop.
        if (chunk.length === 0) return true;
        answer.control.enqueue(chunk);
        return (answer.control.desiredSize ?? 0) > 0;
      default:
        return true;
    }
  }

  onComplete(): void {
    const answer = this.answer;
    if (answer.kind === 'refused') {
      const refusal = peerRefusal(answer.status, Buffer.concat(answer.chunks), this.target.origin);
      this.deadline.fail(refusal);
    } else if (answer.kind === 'early') {
      answer.ended = true;
    } else if (answer.kind === 'streaming') {
      this.answer = { kind: 'over' };
      answer.control.close();
    }
    // The answer is complete: an upload the peer no longer reads is let go (as the bolt relay does).
    this.body?.stop();
  }

  onError(error: Error): void {
    const answer = this.answer;
    if (answer.kind === 'early') {
      answer.error = error;
      return;
    }
    if (answer.kind === 'streaming') {
      this.answer = { kind: 'over' };
      this.body?.stop();
      answer.control.error(error);
      return;
    }
    if (answer.kind === 'over') return;
    this.deadline.fail(this.relayErrorFor(error));
  }

  /** The head's own socket read is parsed: a body complete by now goes on as bytes, else it streams. */
  private earlyDone(early: Extract<Answer, { kind: 'early' }>): void {
    if (this.answer !== early) return;
    const { status, headers } = this;
    if (early.error) {
      this.answer = { kind: 'over' };
      this.body?.stop();
      this.reject(this.relayErrorFor(early.error));
    } else if (early.ended) {
      this.answer = { kind: 'over' };
      this.resolve({ status, headers, body: Buffer.concat(early.chunks) });
    } else {
      this.resolve({ status, headers, body: this.stream(early.chunks) });
    }
  }

  private stream(initial: readonly Buffer[]): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        start: (control) => {
          this.answer = { kind: 'streaming', control };
          for (const chunk of initial) control.enqueue(chunk);
        },
        pull: () => this.resumePeer?.(),
        cancel: () => {
          this.answer = { kind: 'over' };
          this.body?.stop();
          this.abortPeer?.(new Error('the reader went away'));
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: PEER_BODY_HIGH_WATER }),
    );
  }

  /** Fails the exchange before its head (timeout, the client gone, the peer lost or refusing). */
  private failed(error: RelayError): void {
    this.answer = { kind: 'over' };
    this.body?.stop();
    if (this.abortPeer) this.abortPeer(error);
    else this.abortedEarly = error;
    this.reject(error);
  }

  private relayErrorFor(error: Error): RelayError {
    const peer = this.target.origin;
    if (error instanceof errors.InvalidArgumentError || error instanceof errors.NotSupportedError) {
      return new RelayError(
        'upstream-failed',
        `cannot send the request to peer tower ${peer}: ${error.message}`,
      );
    }
    const code = (error as { code?: string }).code;
    return new RelayError(
      'bolt-lost',
      `peer tower ${peer} failed${code ? ` (${code})` : ''}: ${error.message}`,
    );
  }
}

/** undici gives raw header fields as a flat list of latin1 byte strings. */
function headerList(raw: readonly Buffer[]): HeaderList {
  const fields: string[] = [];
  for (const field of raw) fields.push(field.toString('latin1'));
  return endToEndHeaders(fields);
}
