/**
 * Bridges stream bodies and the tower's HTTP side.
 *
 * Inbound: bytes are held until a reader takes them (a WHATWG read, or a sink the body was diverted
 * to), and credit goes back to the peer only as it does, so a slow HTTP client holds back only its
 * own stream, by at most one credit window. Outbound: any async iterable of bytes is pumped in at the pace credit allows.
 */
import type { UnderlyingSource } from 'node:stream/web';
import type { ChunkSink, DivertedBody, DivertibleBody } from '../../link/direct-body.js';
import { ErrorCode } from '../protocol/frames.js';
import type { BodySink } from './early-body.js';
import type { MuxStream } from './mux-stream.js';

/** The body's ReadableStream, which can also hand its chunks straight to a sink (`divert`). */
class DivertibleStream extends ReadableStream<Uint8Array> implements DivertibleBody {
  constructor(
    private readonly owner: InboundWebBody,
    source: UnderlyingSource<Uint8Array>,
  ) {
    // No queue of its own: a chunk is enqueued only for a read that waits, so what is held for the
    // reader is held once, by the owner, and counted against the stream's credit until taken.
    super(source, new CountQueuingStrategy({ highWaterMark: 0 }));
  }

  divert(sink: ChunkSink): DivertedBody | undefined {
    return this.locked ? undefined : this.owner.divert(sink);
  }
}

/**
 * A response body read by the HTTP side: the stream's owner pushes what arrives, and fails it with
 * the stream's reset (e.g. the bolt went away mid-download). Credit goes back to the agent as the
 * reader takes chunks, or as the sink it was diverted to accepts them without asking to wait.
 */
export class InboundWebBody implements BodySink {
  readonly body: ReadableStream<Uint8Array>;
  private held: Uint8Array[];
  private state: 'open' | 'ended' | 'failed' | 'cancelled' = 'open';
  private failure: Error | undefined;
  private control: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** A WHATWG read waits and nothing was held for it. */
  private wanted = false;
  private sink: ChunkSink | undefined;
  /** The sink asked to wait: what it takes meanwhile is owed credit, granted on `resume`. */
  private paused = false;
  private owed = 0;

  /** `initial`: chunks that arrived before the body was made; they come first. */
  constructor(
    private readonly stream: MuxStream,
    initial: readonly Uint8Array[] = [],
  ) {
    this.held = [...initial];
    this.body = new DivertibleStream(this, {
      start: (controller) => {
        this.control = controller;
      },
      pull: () => this.pull(),
      cancel: () => this.cancel('the reader went away'),
    });
  }

  push(chunk: Uint8Array): void {
    if (this.state !== 'open') return;
    if (this.sink) {
      this.toSink(this.sink, chunk);
      return;
    }
    if (this.wanted && this.control) {
      this.wanted = false;
      this.control.enqueue(chunk);
      this.stream.consumed(chunk.length);
      return;
    }
    this.held.push(chunk);
  }

  end(): void {
    if (this.state !== 'open') return;
    this.state = 'ended';
    if (this.sink) this.sink.end();
    else if (this.held.length === 0) this.control?.close();
  }

  fail(error: Error): void {
    if (this.state !== 'open') return;
    this.state = 'failed';
    this.failure = error;
    this.held = [];
    if (this.sink) this.sink.fail(error);
    else this.control?.error(error);
  }

  /** See `DivertibleBody.divert`; the stream has no reader. */
  divert(sink: ChunkSink): DivertedBody | undefined {
    if (this.sink || this.state === 'cancelled') return undefined;
    this.sink = sink;
    const control: DivertedBody = { resume: () => this.resume(), cancel: (reason) => this.cancel(reason) };
    sink.start(control);
    const held = this.held;
    this.held = [];
    for (const chunk of held) {
      this.toSink(sink, chunk);
      // The sink may give up on a chunk (a body longer than promised): the rest is dropped.
      if (this.isCancelled) return undefined;
    }
    if (this.state === 'ended') sink.end();
    else if (this.state === 'failed') sink.fail(this.failure ?? new Error('body failed'));
    return control;
  }

  private get isCancelled(): boolean {
    return this.state === 'cancelled';
  }

  private toSink(sink: ChunkSink, chunk: Uint8Array): void {
    const room = sink.write(chunk);
    if (room && !this.paused) {
      this.stream.consumed(chunk.length);
      return;
    }
    this.paused = true;
    this.owed += chunk.length;
  }

  private resume(): void {
    this.paused = false;
    const owed = this.owed;
    this.owed = 0;
    if (owed > 0 && this.state === 'open') this.stream.consumed(owed);
  }

  private pull(): void {
    const chunk = this.held.shift();
    if (chunk) {
      this.control?.enqueue(chunk);
      if (this.state === 'open') this.stream.consumed(chunk.length);
      return;
    }
    if (this.state === 'ended') this.control?.close();
    else this.wanted = true;
  }

  private cancel(reason: string): void {
    if (this.state === 'cancelled') return;
    const wasOpen = this.state === 'open';
    this.state = 'cancelled';
    this.held = [];
    if (wasOpen) this.stream.reset(ErrorCode.Cancel, reason);
  }
}

/**
 * Sends a body (a WHATWG stream or a Node stream: any async iterable of bytes) through the stream
 * and ends it. Returns a function that stops the pump early (the stream was reset); a failing
 * source resets the stream with Cancel.
 */
export function pumpBody(source: AsyncIterable<Uint8Array>, stream: MuxStream): () => void {
  const chunks = source[Symbol.asyncIterator]();
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    chunks.return?.().catch(() => {});
  };
  (async () => {
    try {
      for (;;) {
        const { done, value } = await chunks.next();
        if (done || stopped) break;
        await stream.write(value);
      }
      if (!stopped) stream.end();
    } catch (error) {
      stop();
      stream.reset(
        ErrorCode.Cancel,
        `request body failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  })();
  return stop;
}
