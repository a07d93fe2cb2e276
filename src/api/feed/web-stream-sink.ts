/**
 * A subscriber's stream as a web `ReadableStream`, for requests without a Node response to write
 * to: `app.request()` in tests, or a non-Node runtime. It takes the same shared frames as the socket
 * sink (their `body`, unframed: the runtime does the HTTP framing).
 *
 * The stream has no buffer of its own (high-water mark 0, chunks counted by their bytes), so every
 * byte enqueued and not yet read is one the client is behind by.
 */
import { CloseSignal } from './close-signal.js';
import type { SseFrame } from './sse-frame.js';
import type { SseSink } from './sse-sink.js';

export class WebStreamSink implements SseSink {
  readonly readable: ReadableStream<Uint8Array>;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  readonly #closing = new CloseSignal();

  constructor() {
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        cancel: () => this.#closing.fire(),
      },
      { highWaterMark: 0, size: (chunk) => chunk.byteLength },
    );
  }

  get backlog(): number {
    return -(this.#controller?.desiredSize ?? 0);
  }

  get closed(): boolean {
    return this.#closing.fired;
  }

  send(frame: SseFrame): void {
    if (!this.#closing.fired) this.#controller?.enqueue(frame.body);
  }

  end(): void {
    if (this.#closing.fired) return;
    this.#controller?.close();
    this.#closing.fire();
  }

  drop(final: SseFrame, graceMs: number): void {
    if (this.#closing.fired) return;
    const controller = this.#controller;
    this.send(final);
    this.end();
    // Erroring a closed stream whose queue was read is a no-op; one still holding chunks lets them go.
    const timer = setTimeout(() => controller?.error(new Error('dropped: the client did not read')), graceMs);
    timer.unref();
  }

  onClose(listener: () => void): void {
    this.#closing.add(listener);
  }
}
