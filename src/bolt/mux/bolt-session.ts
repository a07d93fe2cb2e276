/**
 * A bolt's multiplexer: turns one message link (a WebSocket) into many flow-controlled streams, plus
 * the capability announcement and the heartbeat.
 *
 * Outgoing frames written in the same turn of the event loop leave as one message, so a small
 * request or response costs one WebSocket message. Any frame the strict decoder rejects closes this
 * bolt with a coded reason; stream-level faults reset only that stream.
 *
 * Output is bounded: data writers wait at a high-water mark, and everything else (Pongs, Window
 * and Reset frames, heads) counts against `maxOutputBacklog`. A peer that lets more than that pile
 * up, or takes nothing for the validity window, does not read, and its bolt is closed with Backlog.
 */
import {
  decodeMessage,
  type EncodedFrame,
  encodeFrame,
  joinFrames,
  ProtocolError,
} from '../protocol/codec.js';
import { closeCodeFor, ErrorCode, errorCodeName, type Frame, FrameType, Limits } from '../protocol/frames.js';
import { Heartbeat } from './heartbeat.js';
import { MuxStream, type StreamHost, StreamResetError } from './mux-stream.js';

/** The few things a session needs from its WebSocket (see ws-link.ts). */
export interface MessageLink {
  send(message: Buffer, done: (error?: Error) => void): void;
  /** Closes with a code and reason; `force` drops the socket without waiting for the peer. */
  close(code: number, reason: string, force: boolean): void;
}

export interface BoltSessionOptions {
  role: 'tower' | 'agent';
  /** Heartbeat period and the silence after which the bolt is expired, in milliseconds. */
  beaconIntervalMs: number;
  beaconValidityMs: number;
  /** Bytes of output the peer may leave untaken (unconfirmed plus batched) before the bolt is closed. */
  maxOutputBacklog?: number;
  /** Tower side: the agent announced its capability. */
  onHello?: (payload: Uint8Array) => void;
  /** Agent side: the tower opened a stream with a request head. */
  onRequest?: (stream: MuxStream, head: Uint8Array, endStream: boolean) => void;
  /** The session ended, for any reason; called once. */
  onClose?: (code: number, reason: string) => void;
}

// Above this many bytes not yet taken by the socket, body writers wait: memory stays bounded
// however fast the other side of the relay produces.
const HIGH_WATER_MARK = 1024 * 1024;
// Batches are cut at this size so no message nears the peer's maxMessageSize.
const MAX_BATCH = Limits.maxMessageSize / 2;
/** The default `maxOutputBacklog`: well above the data high-water mark, which data writers stop at. */
export const DEFAULT_MAX_OUTPUT_BACKLOG = 4 * 1024 * 1024;

export class BoltSession implements StreamHost {
  private readonly streams = new Map<number, MuxStream>();
  private readonly heartbeat: Heartbeat;
  private batch: EncodedFrame[] = [];
  private batchBytes = 0;
  private flushScheduled = false;
  private unconfirmedBytes = 0;
  /** When the unconfirmed output last moved (a send confirmed, or output waiting anew). */
  private outputMovedAt = 0;
  private readonly maxOutputBacklog: number;
  /** Past `maxOutputBacklog`: frames are dropped until the close at the end of this task. */
  private overflowing = false;
  private drainWaiters: (() => void)[] = [];
  private lastLocalStreamId = 0;
  private lastPeerStreamId = 0;
  private closed = false;

  constructor(
    private readonly link: MessageLink,
    private readonly options: BoltSessionOptions,
  ) {
    this.maxOutputBacklog = options.maxOutputBacklog ?? DEFAULT_MAX_OUTPUT_BACKLOG;
    this.heartbeat = new Heartbeat({
      intervalMs: options.beaconIntervalMs,
      validityMs: options.beaconValidityMs,
      ping: (payload) => this.enqueue(encodeFrame(FrameType.Ping, 0, 0, payload)),
      expire: () => this.close(ErrorCode.Expired, 'no heartbeat within the validity window', true),
      outputStuckSince: () => (this.unconfirmedBytes > 0 ? this.outputMovedAt : undefined),
      // The peer cannot read a close frame queued behind what it never took: drop the socket.
      stalled: (stuckMs) =>
        this.close(ErrorCode.Backlog, `the peer took none of its output for ${stuckMs} ms`, true),
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Bytes of output the peer has not taken yet: handed to the link unconfirmed, plus the open batch. */
  get outputBacklog(): number {
    return this.unconfirmedBytes + this.batchBytes;
  }

  /** When the peer was last heard from (ms since the epoch). */
  get lastHeardAt(): number {
    return this.heartbeat.lastHeardAt;
  }

  /** Sends the capability (agent side). */
  hello(payload: Uint8Array): void {
    this.enqueue(encodeFrame(FrameType.Hello, 0, 0, payload));
  }

  /** Opens a stream with a request head (tower side). */
  openStream(head: Uint8Array, endStream: boolean): MuxStream {
    if (this.closed) throw new StreamResetError(ErrorCode.ConnectionLost, 'bolt closed');
    const stream = new MuxStream(++this.lastLocalStreamId, this);
    this.streams.set(stream.id, stream);
    stream.sendHead(FrameType.Request, head, endStream);
    return stream;
  }

  /** Feeds one message from the link. A protocol violation closes the bolt; the error is rethrown for logging. */
  receive(message: Buffer): void {
    if (this.closed) return;
    this.heartbeat.heard();
    let frames: Frame[];
    try {
      frames = decodeMessage(message);
      for (const frame of frames) {
        if (this.closed || this.overflowing) break;
        this.dispatch(frame);
      }
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.close(error.wireCode, `${errorCodeName(error.wireCode)}: ${error.message}`, false);
      }
      throw error;
    }
  }

  /** Closes the bolt: every open stream fails with ConnectionLost, the link closes with `4000 + code`. */
  close(code: ErrorCode, reason: string, force = false): void {
    if (this.closed) return;
    // A dropped socket sends nothing more: flushing would only grow a backlog the peer never takes.
    if (!force) this.flush();
    this.finish(closeCodeFor(code), reason);
    this.link.close(closeCodeFor(code), closeReasonText(reason), force);
  }

  /** The link went down under us. */
  linkClosed(code: number, reason: string): void {
    if (this.closed) return;
    this.finish(code, reason || 'connection lost');
  }

  // --- StreamHost ---

  enqueue(frame: EncodedFrame): void {
    if (this.closed || this.overflowing) return;
    const size = frame[0].length + (frame[1]?.length ?? 0);
    if (this.unconfirmedBytes + this.batchBytes + size > this.maxOutputBacklog) {
      this.overflow();
      return;
    }
    if (this.batchBytes + size > MAX_BATCH) this.flush();
    this.batch.push(frame);
    this.batchBytes += size;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  hasRoom(): boolean {
    return this.closed || this.overflowing || this.unconfirmedBytes + this.batchBytes < HIGH_WATER_MARK;
  }

  writable(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  streamFinished(stream: MuxStream): void {
    this.streams.delete(stream.id);
  }

  // --- internals ---

  private flush(): void {
    this.flushScheduled = false;
    if (this.batch.length === 0 || this.closed) return;
    const message = joinFrames(this.batch);
    this.batch = [];
    this.batchBytes = 0;
    if (this.unconfirmedBytes === 0) this.outputMovedAt = Date.now();
    this.unconfirmedBytes += message.length;
    this.link.send(message, () => {
      this.unconfirmedBytes -= message.length;
      this.outputMovedAt = Date.now();
      if (this.unconfirmedBytes < HIGH_WATER_MARK / 2) this.releaseWriters();
    });
  }

  /**
   * The peer let `maxOutputBacklog` bytes pile up. The close waits for the end of this task, so a
   * caller whose frame tipped it (a stream opening, a writer) never sees its stream fail inside its
   * own call; until then frames are dropped, and nothing more would be sent anyway.
   */
  private overflow(): void {
    this.overflowing = true;
    this.batch = [];
    this.batchBytes = 0;
    queueMicrotask(() =>
      this.close(
        ErrorCode.Backlog,
        `over ${this.maxOutputBacklog} bytes of output wait for the peer to read them`,
        true,
      ),
    );
  }

  private releaseWriters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private finish(code: number, reason: string): void {
    this.closed = true;
    this.heartbeat.stop();
    this.batch = [];
    const lost = new StreamResetError(ErrorCode.ConnectionLost, `bolt closed: ${reason}`);
    for (const stream of [...this.streams.values()]) stream.abort(lost);
    this.streams.clear();
    this.releaseWriters();
    this.options.onClose?.(code, reason);
  }

  private dispatch(frame: Frame): void {
    switch (frame.type) {
      case FrameType.Ping:
        this.enqueue(encodeFrame(FrameType.Pong, 0, 0, frame.payload));
        return;
      case FrameType.Pong:
        return; // hearing it is the point; heard() already ran
      case FrameType.Hello:
        if (this.options.role !== 'tower')
          throw new ProtocolError('BOLT_ERR_WRONG_SENDER', 'hello sent to an agent');
        this.options.onHello?.(frame.payload);
        return;
      case FrameType.Request:
        this.openPeerStream(frame.streamId, frame.payload, frame.flags !== 0);
        return;
      default:
        break;
    }
    const stream = this.streams.get(frame.streamId);
    if (!stream) {
      // Frames may still be in flight for a stream this side already finished; ids never used are a lie.
      const highest = this.options.role === 'tower' ? this.lastLocalStreamId : this.lastPeerStreamId;
      if (frame.streamId > highest) {
        throw new ProtocolError(
          'BOLT_ERR_UNKNOWN_STREAM',
          `frame for stream ${frame.streamId}, which was never opened`,
        );
      }
      return;
    }
    switch (frame.type) {
      case FrameType.Response:
        if (this.options.role !== 'tower')
          throw new ProtocolError('BOLT_ERR_WRONG_SENDER', 'response sent to an agent');
        stream.receiveHead(frame.payload, frame.flags !== 0);
        return;
      case FrameType.Data:
        stream.receiveData(frame.payload, frame.flags !== 0);
        return;
      case FrameType.Window:
        stream.receiveWindowUpdate(frame.increment);
        return;
      case FrameType.Reset:
        stream.receiveReset(frame.code, frame.message);
        return;
    }
  }

  private openPeerStream(id: number, head: Uint8Array, endStream: boolean): void {
    if (this.options.role !== 'agent')
      throw new ProtocolError('BOLT_ERR_WRONG_SENDER', 'an agent may not open streams');
    if (id <= this.lastPeerStreamId)
      throw new ProtocolError('BOLT_ERR_STREAM_ID_REUSED', `stream id ${id} reused`);
    this.lastPeerStreamId = id;
    const stream = new MuxStream(id, this);
    if (this.streams.size >= Limits.maxConcurrentStreams) {
      stream.reset(ErrorCode.RefusedStream, `more than ${Limits.maxConcurrentStreams} streams open`);
      return;
    }
    this.streams.set(id, stream);
    stream.openedByPeer(endStream);
    try {
      this.options.onRequest?.(stream, head, endStream);
    } catch (error) {
      // A bug or a request Node refuses to send costs this stream, never the rest of the message.
      stream.reset(ErrorCode.Internal, error instanceof Error ? error.message : 'request handler failed');
    }
  }
}

/** A WebSocket close reason may hold at most 123 UTF-8 bytes; cut on a character boundary. */
export function closeReasonText(reason: string): string {
  let text = reason;
  while (Buffer.byteLength(text, 'utf8') > 123) text = text.slice(0, -1);
  // Never leave half a surrogate pair at the end.
  return text.replace(/[\uD800-\uDBFF]$/, '');
}
