/**
 * A subscriber's stream written straight to its Node response (the `outgoing` binding of
 * @hono/node-server), bypassing web streams: one `socket.write` of a shared, pre-framed Buffer per
 * message, with no per-subscriber encoding, promise or microtask.
 *
 * The backlog is the socket's own: bytes the kernel would not take yet wait in `writableLength`.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CloseSignal } from './close-signal.js';
import type { SseFrame } from './sse-frame.js';
import type { SseSink } from './sse-sink.js';
import { SSE_HEADERS } from './sse-wire.js';

export class SocketSink implements SseSink {
  readonly #res: ServerResponse;
  /** Set when frames can go to the socket as they are, already chunk-framed. */
  readonly #socket: Socket | undefined;
  readonly #closing = new CloseSignal();

  /** `extra`: headers middleware set for this response (CORS), which `RESPONSE_ALREADY_SENT` would lose. */
  constructor(res: ServerResponse, extra: Readonly<Record<string, string>> = {}) {
    this.#res = res;
    res.writeHead(200, { ...extra, ...SSE_HEADERS });
    res.flushHeaders();
    // Writing chunks to the socket is what `res.write` does, minus framing each one again; it is
    // only equivalent while this response owns a writable socket that already has its headers (a
    // pipelined request's response waits for its socket, and then `res.write` does the buffering).
    const socket = res.socket;
    this.#socket = res.chunkedEncoding && socket?.writable ? socket : undefined;
    res.once('close', () => this.#closing.fire());
    if (res.destroyed) this.#closing.fire();
  }

  get backlog(): number {
    return this.#res.writableLength;
  }

  get closed(): boolean {
    return this.#closing.fired;
  }

  send(frame: SseFrame): void {
    if (this.#closing.fired) return;
    if (this.#socket) this.#socket.write(frame.chunk);
    else this.#res.write(frame.body);
  }

  end(): void {
    if (this.#closing.fired) return;
    this.#res.end();
    // Over at once for us: a keep-alive written after the final chunk would corrupt the next
    // response on this keep-alive connection.
    this.#closing.fire();
  }

  drop(final: SseFrame, graceMs: number): void {
    if (this.#closing.fired) return;
    const res = this.#res;
    this.send(final);
    this.end();
    if (res.writableFinished) return;
    // The final message waits behind everything the client has not read; a client that reads
    // nothing more is cut off, and its queued bytes go with the socket.
    const timer = setTimeout(() => res.destroy(), graceMs);
    timer.unref();
    const cancel = () => clearTimeout(timer);
    res.once('finish', cancel);
    res.once('close', cancel);
  }

  onClose(listener: () => void): void {
    this.#closing.add(listener);
  }
}
