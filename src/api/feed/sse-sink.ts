/**
 * Where one subscriber's messages go: straight to its Node socket (`socket-sink.ts`, the route under
 * @hono/node-server) or into a web stream response (`app.request()`, other runtimes;
 * `web-stream-sink.ts`). Both take the same shared frames and measure the same thing: the bytes
 * written for the client that it has not taken yet, which the subscriber holds to a limit.
 */
import type { SseFrame } from './sse-frame.js';

export interface SseSink {
  /** Bytes sent that the client has not taken yet (those the kernel accepted are taken). */
  readonly backlog: number;
  send(frame: SseFrame): void;
  readonly closed: boolean;
  /** Ends the stream cleanly, after what was already sent (the feed has stopped). */
  end(): void;
  /**
   * Ends the stream with `final` as its last message; if the client has not taken everything
   * within `graceMs`, it is cut off and what is still queued for it is let go.
   */
  drop(final: SseFrame, graceMs: number): void;
  /**
   * `listener` runs once when the stream is over for any reason: the client went away, was
   * dropped, or the stream was ended. At once if that already happened.
   */
  onClose(listener: () => void): void;
}
