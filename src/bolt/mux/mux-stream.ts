/**
 * One multiplexed exchange on a bolt: a head each way, body bytes each way, credit-window flow control.
 *
 * Credit is per stream, so a reader that stops reading stalls only its own stream and the bytes
 * buffered for it never exceed one window. The consumer reports what it has finished with through
 * `consumed(n)`; only then is the peer granted more credit.
 *
 * The stream's life is one `StreamState` (stream-state.ts). What arrives goes to one listener, set
 * once by the stream's owner (the relay client on the tower, the relay server on the agent), which
 * feeds the body readers itself: nobody else overwrites or chains its callbacks.
 */
import type { EncodedFrame } from '../protocol/codec.js';
import { encodeFrame, encodeReset, encodeWindow } from '../protocol/codec.js';
import {
  ErrorCode as Codes,
  type ErrorCode,
  FLAG_END_STREAM,
  FrameType,
  Limits,
} from '../protocol/frames.js';
import {
  awaitingHead,
  isFinished,
  localEnded,
  nextStreamState,
  remoteEnded,
  type StreamEvent,
  type StreamState,
} from './stream-state.js';

/** What a stream needs from its session: a way out for frames, and back-pressure from the socket. */
export interface StreamHost {
  enqueue(frame: EncodedFrame): void;
  /** Resolves once the socket has room again; immediately when it has room now. */
  writable(): Promise<void>;
  /** The socket has room now (what `writable()` would resolve at once for). */
  hasRoom(): boolean;
  streamFinished(stream: MuxStream): void;
}

export class StreamResetError extends Error {
  override readonly name = 'StreamResetError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** What arrives on a stream, delivered to its one owner. Nothing is delivered after `reset`. */
export interface StreamListener {
  /** The peer's head (the response, on the tower; the agent gets its request head with the stream). */
  head(payload: Uint8Array, endStream: boolean): void;
  data(chunk: Uint8Array): void;
  /** The peer ended its direction. */
  end(): void;
  /** Reset by either side, or the bolt went away. */
  reset(error: StreamResetError): void;
}

// A stream without an owner yet drops what arrives, as a body nobody reads.
const unowned: StreamListener = { head() {}, data() {}, end() {}, reset() {} };

// Grant credit back in lumps: one Window frame per quarter window read, not one per Data frame.
const CREDIT_THRESHOLD = Limits.initialWindow / 4;

export class MuxStream {
  private listener = unowned;
  private current: StreamState = 'awaiting-head';
  private sendWindow = Limits.initialWindow;
  private receiveWindow = Limits.initialWindow;
  private creditOwed = 0;
  private windowWaiter: (() => void) | undefined;
  private resetError: StreamResetError | undefined;

  constructor(
    readonly id: number,
    private readonly host: StreamHost,
  ) {}

  get state(): StreamState {
    return this.current;
  }

  get isOpen(): boolean {
    return !isFinished(this.current);
  }

  /** Makes `listener` the stream's owner; a stream has one, for its whole life. */
  listen(listener: StreamListener): void {
    if (this.listener !== unowned) throw new Error(`stream ${this.id} already has a listener`);
    this.listener = listener;
  }

  get error(): StreamResetError | undefined {
    return this.resetError;
  }

  /** Sends a Request or Response head; with `endStream` no body follows. */
  sendHead(
    type: typeof FrameType.Request | typeof FrameType.Response,
    payload: Uint8Array,
    endStream: boolean,
  ): void {
    if (localEnded(this.current)) return;
    this.host.enqueue(encodeFrame(type, endStream ? FLAG_END_STREAM : 0, this.id, payload));
    if (endStream) this.finishLocal();
  }

  /**
   * Sends body bytes, split to fit frames and credit. Resolves when all of `chunk` is queued; rejects
   * with `StreamResetError` if the stream is reset first, so a pump loop stops by itself.
   */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.tryWrite(chunk)) return;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.resetError) throw this.resetError;
      if (localEnded(this.current)) throw new StreamResetError(Codes.StreamClosed, 'write after end');
      if (this.sendWindow === 0) {
        await new Promise<void>((resolve) => {
          this.windowWaiter = resolve;
        });
        continue;
      }
      // Every writer woken by a drain checks the room again: resuming all at once would queue a
      // frame each past the high-water mark, and a thousand streams' worth past the output ceiling.
      if (!this.host.hasRoom()) {
        await this.host.writable();
        continue;
      }
      const size = Math.min(chunk.length - offset, this.sendWindow, Limits.maxDataPayload);
      this.sendWindow -= size;
      this.host.enqueue(encodeFrame(FrameType.Data, 0, this.id, chunk.subarray(offset, offset + size)));
      offset += size;
    }
  }

  /**
   * Queues all of `chunk` now if the credit and the socket allow it, and says whether it did; when
   * it did not, nothing was queued. Lets a producer that can pause itself (undici's `onData`) skip
   * a promise per chunk.
   */
  tryWrite(chunk: Uint8Array): boolean {
    if (localEnded(this.current)) return false;
    // An empty chunk needs neither credit nor room: refusing it would make a producer pause and
    // resume with nothing to wait for, which spun the agent in microtasks.
    if (chunk.length === 0) return true;
    if (chunk.length > this.sendWindow || !this.host.hasRoom()) return false;
    this.sendWindow -= chunk.length;
    for (let offset = 0; offset < chunk.length; offset += Limits.maxDataPayload) {
      const piece = chunk.subarray(offset, offset + Limits.maxDataPayload);
      this.host.enqueue(encodeFrame(FrameType.Data, 0, this.id, piece));
    }
    return true;
  }

  /** Ends the body this side sends. */
  end(): void {
    if (localEnded(this.current)) return;
    this.host.enqueue(encodeFrame(FrameType.Data, FLAG_END_STREAM, this.id));
    this.finishLocal();
  }

  /** Abandons the stream in both directions and tells the peer why. */
  reset(code: ErrorCode, message: string): void {
    if (!this.isOpen) return;
    this.host.enqueue(encodeReset(this.id, code, message));
    this.abort(new StreamResetError(code, message));
  }

  /** The consumer is done with `bytes` of received body: the peer may send that much more. */
  consumed(bytes: number): void {
    if (remoteEnded(this.current) || bytes <= 0) return;
    this.creditOwed += bytes;
    if (this.creditOwed >= CREDIT_THRESHOLD || this.receiveWindow === 0) {
      this.receiveWindow += this.creditOwed;
      this.host.enqueue(encodeWindow(this.id, this.creditOwed));
      this.creditOwed = 0;
    }
  }

  // --- called by the session for frames that arrive for this stream ---

  /** The peer opened this stream; its request head is handed to the owner directly. */
  openedByPeer(endStream: boolean): void {
    this.move('head-remote');
    if (endStream) this.move('end-remote');
  }

  /** A head arrived from the peer. */
  receiveHead(payload: Uint8Array, endStream: boolean): void {
    if (remoteEnded(this.current)) {
      this.reset(Codes.StreamClosed, 'head after end of stream');
      return;
    }
    if (!awaitingHead(this.current)) {
      this.reset(Codes.Protocol, 'a second head on one stream');
      return;
    }
    this.move('head-remote');
    if (endStream) this.move('end-remote');
    this.listener.head(payload, endStream);
    if (endStream) this.afterRemoteEnd();
  }

  receiveData(chunk: Uint8Array, endStream: boolean): void {
    if (remoteEnded(this.current)) {
      this.reset(Codes.StreamClosed, 'data after end of stream');
      return;
    }
    if (awaitingHead(this.current)) {
      this.reset(Codes.Protocol, 'data before the head');
      return;
    }
    if (chunk.length > this.receiveWindow) {
      this.reset(Codes.FlowControl, `peer sent ${chunk.length} bytes with ${this.receiveWindow} of credit`);
      return;
    }
    this.receiveWindow -= chunk.length;
    if (endStream) this.move('end-remote');
    if (chunk.length > 0) this.listener.data(chunk);
    if (endStream) this.afterRemoteEnd();
  }

  receiveWindowUpdate(increment: number): void {
    if (this.sendWindow + increment > Limits.maxWindow) {
      this.reset(Codes.FlowControl, 'window grew past 2^31-1');
      return;
    }
    this.sendWindow += increment;
    const waiter = this.windowWaiter;
    this.windowWaiter = undefined;
    waiter?.();
  }

  receiveReset(code: number, message: string): void {
    this.abort(new StreamResetError(code, message || 'reset by peer'));
  }

  /** The bolt went away: the stream dies locally, nothing is sent. */
  abort(error: StreamResetError): void {
    if (isFinished(this.current)) return;
    this.current = 'reset';
    this.resetError = error;
    const waiter = this.windowWaiter;
    this.windowWaiter = undefined;
    waiter?.();
    this.host.streamFinished(this);
    this.listener.reset(error);
  }

  /** Every change of state but a reset goes through here, along the table in stream-state.ts. */
  private move(event: StreamEvent): void {
    const next = nextStreamState(this.current, event);
    if (next === undefined) throw new Error(`stream ${this.id}: ${event} in state ${this.current}`);
    this.current = next;
  }

  private afterRemoteEnd(): void {
    // The owner may have reset the stream while taking the body; then it has had its last word.
    if (this.current === 'reset') return;
    this.listener.end();
    if (this.current === 'closed') this.host.streamFinished(this);
  }

  private finishLocal(): void {
    this.move('end-local');
    if (this.current === 'closed') this.host.streamFinished(this);
  }
}
