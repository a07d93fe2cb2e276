/**
 * Where one subscriber's SSE bytes go: the Node socket of its response (`socket-sink.ts`), or a web
 * `ReadableStream` where there is no Node response (`app.request()`, other runtimes;
 * `web-stream-sink.ts`). Both take the same shared frames and apply the same rule to a client that
 * does not read: at most `maxBacklog` messages may wait for it, one more and it is cut off, so it
 * cannot queue the tower's memory away (it reconnects with `Last-Event-ID` and catches up).
 */
import type { SseFrame } from './sse-frame.js';

export interface SseSink {
  /** Writes one message, or cuts the client off if `maxBacklog` messages are already waiting. */
  send(frame: SseFrame): void;
  /** Earlier bytes are still waiting for the client: it is behind, not idle. */
  readonly congested: boolean;
  readonly closed: boolean;
  /** Ends the stream cleanly, after what was already sent (the feed has stopped). */
  end(): void;
  /**
   * `listener` runs once when the stream is over for any reason: the client went away, was cut
   * off, or the stream was ended. At once if that already happened.
   */
  onClose(listener: () => void): void;
}
