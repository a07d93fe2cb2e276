/**
 * A subscriber's stream as a web `ReadableStream`, for requests without a Node response to write
 * to: `app.request()` in tests, or a non-Node runtime. It takes the same shared frames as the socket
 * sink (their `body`, unframed: the runtime does the HTTP framing).
 *
 * The stream has no buffer of its own (high-water mark 0), so every message enqueued and not yet
 * read is one the client is behind by; past `maxBacklog` the stream is closed, which leaves what
 * was already queued readable, then the end.
 */
import { CloseSignal } from './close-signal.js';
import type { SseFrame } from './sse-frame.js';
import type { SseSink } from './sse-sink.js';

export class WebStreamSink implements SseSink {
  readonly readable: ReadableStream<Uint8Array>;
  readonly #maxBacklog: number;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  readonly #closing = new CloseSignal();

  constructor(maxBacklog: number) {
    this.#maxBacklog = maxBacklog;
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        cancel: () => this.#closing.fire(),
      },
      { highWaterMark: 0 },
    );
  }

  /** Messages enqueued that the reader has not taken yet. */
  get #waiting(): number {
    return -(this.#controller?.desiredSize ?? 0);
  }

  get congested(): boolean {
    return this.#waiting > 0;
  }

  get closed(): boolean {
    return this.#closing.fired;
  }

  send(frame: SseFrame): void {
    if (this.#closing.fired) return;
    if (this.#waiting >= this.#maxBacklog) this.end();
    else this.#controller?.enqueue(frame.body);
  }

  end(): void {
    if (this.#closing.fired) return;
    this.#controller?.close();
    this.#closing.fire();
  }

  onClose(listener: () => void): void {
    this.#closing.add(listener);
  }
}
