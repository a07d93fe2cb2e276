/**
 * Bridges stream bodies and the tower's HTTP side.
 *
 * Inbound: bytes are queued in a WHATWG ReadableStream whose high-water mark is one credit window,
 * and credit goes back to the peer only as the reader takes them, so a slow HTTP client holds back
 * only its own stream. Outbound: any async iterable of bytes is pumped in at the pace credit allows.
 */
import { ErrorCode, Limits } from '../protocol/frames.js';
import type { MuxStream, StreamResetError } from './mux-stream.js';

export interface InboundBody {
  readonly body: ReadableStream<Uint8Array>;
  /** Fails the body with the stream's reset, e.g. the bolt went away mid-download. */
  fail(error: StreamResetError): void;
}

/** `initial`: chunks that arrived before the body stream was made; they come first and count as received. */
export function inboundBody(stream: MuxStream, initial: readonly Uint8Array[] = []): InboundBody {
  let received = 0;
  let acknowledged = 0;
  let open = true;
  let control: ReadableStreamDefaultController<Uint8Array> | undefined;
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        control = controller;
        for (const chunk of initial) {
          received += chunk.length;
          controller.enqueue(chunk);
        }
        stream.events.data = (chunk) => {
          if (!open) return;
          received += chunk.length;
          controller.enqueue(chunk);
        };
        stream.events.end = () => {
          if (!open) return;
          open = false;
          controller.close();
        };
      },
      pull(controller) {
        const queued = Limits.initialWindow - (controller.desiredSize ?? 0);
        const consumed = received - Math.max(queued, 0) - acknowledged;
        if (consumed > 0) {
          acknowledged += consumed;
          stream.consumed(consumed);
        }
      },
      cancel() {
        open = false;
        stream.reset(ErrorCode.Cancel, 'the reader went away');
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: Limits.initialWindow }),
  );
  return {
    body,
    fail(error) {
      if (!open) return;
      open = false;
      control?.error(error);
    },
  };
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
