/**
 * One relayed request made to the local service, as an undici dispatch handler: undici's
 * lowest-level API, which hands over the response head and body chunks as callbacks. Against
 * `agent.request()` this spares, per request, an AbortController, a Readable for the body, its async
 * iterator and a promise per chunk (bench/PROFILES.md has what they cost).
 *
 * Back-pressure: a chunk the stream cannot take at once (no credit, or a full socket) pauses
 * undici (`onData` returns false) until it has been queued, which waits for credit and for the
 * session to drain; so memory stays within one window and the agent never resumes in a loop.
 *
 * It is also its stream's one listener: a reset aborts the local request, and request body bytes
 * go to the body sink the relay server hands it (the early collector, then the Readable undici reads).
 */
import type { Dispatcher } from 'undici';
import { errors } from 'undici';
import { endToEndHeaders, hasNoBody } from '../../link/http-headers.js';
import type { HeaderList } from '../../link/relay.js';
import type { BodySink } from '../mux/early-body.js';
import type { MuxStream, StreamListener } from '../mux/mux-stream.js';
import { ErrorCode, FrameType, Limits } from '../protocol/frames.js';
import { encodeJson } from '../protocol/heads.js';
import type { RelayRecording } from './relay-record.js';

const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND', 'EADDRNOTAVAIL', 'ENETUNREACH']);
/** undici gives raw header fields as a flat list of latin1 byte strings. */
function headerList(raw: readonly Buffer[]): HeaderList {
  const fields: string[] = [];
  for (const field of raw) fields.push(field.toString('latin1'));
  return endToEndHeaders(fields);
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class LocalExchange implements Dispatcher.DispatchHandlers, StreamListener {
  private abortLocal: ((error: Error) => void) | undefined;
  private cancelled = false;
  private resumeLocal: (() => void) | undefined;
  /** The answer carries no body (HEAD, 204...), or could not be relayed: chunks are dropped. */
  private discardBody = false;
  /** The chunk still waiting for credit, if any; undici is paused meanwhile. */
  private pending: Promise<void> | undefined;
  private requestBody: BodySink | undefined;

  constructor(
    private readonly stream: MuxStream,
    private readonly method: string,
    /** `host:port`, for error messages. */
    private readonly target: string,
    /** Told what happens to the request, for the agent's log; nothing is recorded without it. */
    private readonly recording?: RelayRecording,
  ) {
    stream.listen(this);
  }

  /** Where the request body bytes arriving from here on go. */
  receiveBody(sink: BodySink): void {
    this.requestBody = sink;
  }

  // --- StreamListener: what the tower sends on this stream ---

  /** The request head came with the stream; the stream itself refuses a second one. */
  head(): void {}

  data(chunk: Uint8Array): void {
    this.recording?.received(chunk.byteLength);
    this.requestBody?.push(chunk);
  }

  end(): void {
    this.requestBody?.end();
  }

  reset(): void {
    this.cancelled = true;
    this.recording?.over('cancelled');
    this.abortLocal?.(new Error('the relay stream was reset'));
  }

  // --- undici's DispatchHandlers: the local service's answer ---

  onConnect(abort: (error?: Error) => void): void {
    if (this.cancelled) abort(new Error('the relay stream was reset'));
    else this.abortLocal = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // Interim 1xx answers stay here; only the final response crosses the bolt.
    if (statusCode < 200) return true;
    this.resumeLocal = resume;
    this.recording?.answered(statusCode);
    const head = encodeJson({ status: statusCode, headers: headerList(rawHeaders) });
    if (head.length > Limits.maxHeadSize || statusCode > 599) {
      this.discardBody = true;
      this.recording?.over('upstream-failed');
      this.stream.reset(
        ErrorCode.UpstreamFailed,
        `the local response head cannot be relayed (${statusCode})`,
      );
      return true;
    }
    const noBody = hasNoBody(this.method, statusCode);
    this.discardBody = noBody;
    this.stream.sendHead(FrameType.Response, head, noBody);
    return true;
  }

  onData(chunk: Buffer): boolean {
    // undici hands an empty chunk when it resumes with nothing read yet: nothing to send, and
    // pausing on it would resume at once, a loop that never yields to I/O.
    if (chunk.length === 0 || this.discardBody || !this.stream.isOpen) return true;
    this.recording?.sent(chunk.length);
    if (this.pending === undefined && this.stream.tryWrite(chunk)) return true;
    const queued = (this.pending ?? Promise.resolve()).then(() => this.stream.write(chunk));
    this.pending = queued;
    queued.then(
      () => {
        if (this.pending !== queued) return;
        this.pending = undefined;
        this.resumeLocal?.();
      },
      () => this.abortLocal?.(new Error('the relay stream was reset')),
    );
    return false;
  }

  onComplete(): void {
    this.recording?.over();
    if (this.discardBody) return;
    if (this.pending)
      this.pending.then(
        () => this.stream.end(),
        () => {},
      );
    else this.stream.end();
  }

  onError(error: Error): void {
    if (!this.stream.isOpen || this.cancelled) {
      this.recording?.over('cancelled');
      return;
    }
    const code = (error as { code?: string }).code ?? '';
    this.recording?.over(UNREACHABLE.has(code) ? 'upstream-unreachable' : 'upstream-failed');
    if (UNREACHABLE.has(code)) {
      this.stream.reset(ErrorCode.UpstreamUnreachable, `${this.target} ${code}: ${messageOf(error)}`);
    } else if (error instanceof errors.InvalidArgumentError) {
      // A head the protocol allows but undici will not send (e.g. a header value it deems invalid).
      this.stream.reset(ErrorCode.UpstreamFailed, `cannot send the request: ${messageOf(error)}`);
    } else {
      this.stream.reset(ErrorCode.UpstreamFailed, `${this.target} failed: ${messageOf(error)}`);
    }
  }
}
