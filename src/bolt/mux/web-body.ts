/**
 * Bridges stream bodies and the tower's HTTP side.
 *
 * Inbound: bytes are queued in a WHATWG ReadableStream whose high-water mark is one credit window,
 * and credit goes back to the peer only as the reader takes them, so a slow HTTP client holds back
 * only its own stream. Outbound: any async iterable of bytes is pumped in at the pace credit allows.
 */
import { ErrorCode, Limits } from '../protocol/frames.js';
import type { BodySink } from './early-body.js';
import type { MuxStream } from './mux-stream.js';

/**
 * A response body read by the HTTP side: the stream's owner pushes what arrives, and fails it with
 * the stream's reset (e.g. the bolt went away mid-download).
 */
export class InboundWebBody implements BodySink {
  readonly body: ReadableStream<Uint8Array>;
  private received = 0;
  private acknowledged = 0;
  private open = true;
  private control: ReadableStreamDefaultController<Uint8Array> | undefined;

  /** `initial`: chunks that arrived before the body was made; they come first and count as received. */
  constructor(stream: MuxStream, initial: readonly Uint8Array[] = []) {
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.control = controller;
          for (const chunk of initial) this.push(chunk);
        },
        pull: (controller) => {
          const queued = Limits.initialWindow - (controller.desiredSize ?? 0);
          const consumed = this.received - Math.max(queued, 0) - this.acknowledged;
          if (consumed > 0) {
            this.acknowledged += consumed;
            stream.consumed(consumed);
          }
        },
        cancel: () => {
          this.open = false;
          stream.reset(ErrorCode.Cancel, 'the reader went away');
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: Limits.initialWindow }),
    );
  }

  push(chunk: Uint8Array): void {
    if (!this.open) return;
    this.received += chunk.length;
    this.control?.enqueue(chunk);
  }

  end(): void {
    if (!this.open) return;
    this.open = false;
    this.control?.close();
  }

  fail(error: Error): void {
    if (!this.open) return;
    this.open = false;
    this.control?.error(error);
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
