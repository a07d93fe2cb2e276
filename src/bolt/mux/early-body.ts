/**
 * The body that arrives with its head. A small body usually comes whole in the head's own message,
 * and frames of one message are dispatched before any microtask runs, so once that message is done
 * such a body is complete and can be handed on as bytes, sparing a stream per exchange; anything
 * longer streams from what has arrived so far. Used for responses on the tower and requests on the
 * agent alike.
 */
import type { MuxStream } from './mux-stream.js';

/** Collects the stream's body until the current message is dispatched, then calls `then` with it. */
export function collectEarlyBody(
  stream: MuxStream,
  then: (chunks: Uint8Array[], ended: boolean) => void,
): void {
  const chunks: Uint8Array[] = [];
  let ended = false;
  stream.events.data = (chunk) => chunks.push(chunk);
  stream.events.end = () => {
    ended = true;
  };
  queueMicrotask(() => then(chunks, ended));
}
