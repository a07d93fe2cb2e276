/**
 * Bridges stream bodies and Node streams, the body type of the agent's local HTTP client.
 *
 * Inbound bytes are pushed into a Readable whose consumer pulls them; credit goes back to the peer
 * only for bytes the consumer has taken out of the Readable's buffer, so a slow local service holds
 * back only its own stream.
 */
import { Readable } from 'node:stream';
import type { BodySink } from './early-body.js';
import type { MuxStream } from './mux-stream.js';

/** The stream's owner pushes what arrives; the local client reads `body`. */
export class InboundNodeBody implements BodySink {
  readonly body: Readable;
  private received = 0;
  private acknowledged = 0;

  /** `initial`: chunks that arrived before the body was made; they come first and count as received. */
  constructor(stream: MuxStream, initial: readonly Uint8Array[] = []) {
    const body = new Readable({
      highWaterMark: 64 * 1024,
      read: () => {
        const consumed = this.received - body.readableLength - this.acknowledged;
        if (consumed > 0) {
          this.acknowledged += consumed;
          stream.consumed(consumed);
        }
      },
    });
    this.body = body;
    for (const chunk of initial) this.push(chunk);
  }

  push(chunk: Uint8Array): void {
    this.received += chunk.length;
    this.body.push(chunk);
  }

  end(): void {
    this.body.push(null);
  }
}
