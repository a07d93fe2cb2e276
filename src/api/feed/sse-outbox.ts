/**
 * One subscriber's outgoing SSE messages: written strictly in order, and counted while they wait,
 * so a subscriber that stops reading is cut off instead of queueing the tower's memory away.
 *
 * Backlog = writes handed to the outbox whose `writeSSE` has not yet resolved. The stream's
 * `TransformStream` only accepts a chunk once the reader pulls, so for a client that does not
 * read, every further message stays pending and the count grows by one per message.
 */
import type { SSEMessage, SSEStreamingApi } from 'hono/streaming';
import { KEEP_ALIVE } from './sse-wire.js';

export class SseOutbox {
  #pending = 0;
  #tail: Promise<void> = Promise.resolve();
  #cutOff = false;

  /** `disconnect` is called once, when the backlog passes `maxBacklog` or a write fails. */
  constructor(
    private readonly stream: SSEStreamingApi,
    private readonly maxBacklog: number,
    private readonly disconnect: () => void,
  ) {}

  /** Messages queued but not yet written out. */
  get pending(): number {
    return this.#pending;
  }

  send(message: SSEMessage): void {
    this.#enqueue(() => this.stream.writeSSE(message));
  }

  /** Only on an idle stream: a pending write already shows the client is behind, not gone quiet. */
  keepAlive(): void {
    if (this.#pending === 0) this.#enqueue(() => this.stream.write(KEEP_ALIVE));
  }

  /** Settles once every queued write has been written or discarded (after an abort they fail fast). */
  idle(): Promise<void> {
    return this.#tail;
  }

  #enqueue(write: () => Promise<unknown>): void {
    if (this.#cutOff) return;
    if (this.#pending >= this.maxBacklog) {
      this.#cutOff = true;
      this.disconnect();
      return;
    }
    this.#pending += 1;
    const settle = (): void => {
      this.#pending -= 1;
    };
    // Chained, because writeSSE awaits before it writes: two unchained calls could reorder.
    this.#tail = this.#tail.then(write).then(settle, () => {
      settle();
      if (!this.#cutOff) {
        this.#cutOff = true;
        this.disconnect();
      }
    });
  }
}
