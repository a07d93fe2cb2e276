/**
 * One mux-demux sub-stream as the tower holds it, with the original's life cycle:
 *
 * - a side closes a stream once it has finished writing and has received the peer's `end`;
 * - a half-open stream (one the tower opened for `beacon` or `relay:*`) may end and keep reading;
 * - a stream the peer opened is never half-open: ending it sends `end` and `close` at once;
 * - each side sends exactly one `close`, and a received `close` is answered with ours;
 * - when the connection drops, streams end locally and no frame is sent.
 */
import type { StreamOpts } from './mux-frame.js';

/** How a stream finished: closed by a frame (either side), or lost with its connection. */
export type StreamEndCause = 'closed' | 'lost';

export interface StreamListener {
  data?(payload: unknown): void;
  /** The peer will write nothing more. */
  end?(): void;
  /** Called once, last, however the stream finished. */
  closed?(cause: StreamEndCause): void;
  /** The peer sent an `error` frame (stormbolt never does). */
  error?(message: string): void;
  /** The peer sent `resume` after a `pause`. */
  resumed?(): void;
}

/** What a stream needs from its session: a way to send frames, and to be dropped from its table. */
export interface StreamHost {
  send(frame: unknown[]): void;
  forget(stream: LegacyStream): void;
}

export class LegacyStream {
  listener: StreamListener = {};
  /** The peer asked us to hold our writes (advisory, as in mux-demux). */
  peerPaused = false;
  private ended = false;
  private remoteEnded = false;
  private closed = false;

  constructor(
    readonly id: string,
    readonly meta: string | undefined,
    /** Our directions on this stream. */
    readonly opts: StreamOpts,
    /** True only for streams the tower opened as half-open. */
    private readonly halfOpen: boolean,
    /** True when the tower opened the stream, false when the agent did. */
    readonly local: boolean,
    private readonly host: StreamHost,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one data frame; false when the stream can take no more or the peer asked for a pause. */
  write(payload: unknown): boolean {
    if (this.closed || this.ended) return false;
    this.host.send([this.id, 'data', payload]);
    return !this.peerPaused;
  }

  end(): void {
    if (this.closed || this.ended) return;
    this.ended = true;
    this.host.send([this.id, 'end']);
    if (!this.halfOpen || this.remoteEnded || !this.opts.readable) this.destroy();
  }

  /** Abandons the stream: our one `close`, whatever state it was in. */
  destroy(): void {
    if (this.closed) return;
    this.finish('closed', true);
  }

  pause(): void {
    if (!this.closed) this.host.send([this.id, 'pause']);
  }

  resume(): void {
    if (!this.closed) this.host.send([this.id, 'resume']);
  }

  /** A frame for this stream, from the session. */
  receive(event: string, args: readonly unknown[]): void {
    if (this.closed) return;
    switch (event) {
      case 'data':
        if (!this.remoteEnded) this.listener.data?.(args[0]);
        return;
      case 'end':
        if (this.remoteEnded) return;
        this.remoteEnded = true;
        this.listener.end?.();
        if (this.ended || !this.opts.writable) this.destroy();
        return;
      case 'close':
        this.finish('closed', true);
        return;
      case 'pause':
        this.peerPaused = true;
        return;
      case 'resume':
        if (!this.peerPaused) return;
        this.peerPaused = false;
        this.listener.resumed?.();
        return;
      case 'error':
        this.listener.error?.(errorMessage(args[0]));
        return;
      default:
        // mux-demux re-emits any other event name on the stream, where nothing listens for it.
        return;
    }
  }

  /** The connection is gone: finish without a frame. */
  lost(): void {
    if (!this.closed) this.finish('lost', false);
  }

  private finish(cause: StreamEndCause, sendClose: boolean): void {
    this.closed = true;
    if (sendClose) this.host.send([this.id, 'close']);
    this.host.forget(this);
    this.listener.closed?.(cause);
  }
}

function errorMessage(value: unknown): string {
  if (typeof value === 'string') return value;
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  ) {
    return (value as { message: string }).message;
  }
  return 'stream error';
}
