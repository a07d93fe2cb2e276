/**
 * The body that arrives with its head. A small body usually comes whole in the head's own message,
 * and frames of one message are dispatched before any microtask runs, so once that message is done
 * such a body is complete and can be handed on as bytes, sparing a stream per exchange; anything
 * longer streams from what has arrived so far. Used for responses on the tower and requests on the
 * agent alike.
 */

/** Where a stream's owner puts the body bytes it receives: the early collector, then a body reader. */
export interface BodySink {
  push(chunk: Uint8Array): void;
  end(): void;
}

/** Holds the body until the current message is dispatched, then calls `then` with what came. */
export class EarlyBody implements BodySink {
  readonly chunks: Uint8Array[] = [];
  ended = false;

  constructor(then: (early: EarlyBody) => void) {
    queueMicrotask(() => then(this));
  }

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
  }

  end(): void {
    this.ended = true;
  }
}
