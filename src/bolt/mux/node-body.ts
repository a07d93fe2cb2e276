/**
 * Bridges stream bodies and Node streams, the body type of the agent's local HTTP client.
 *
 * Inbound bytes are pushed into a Readable whose consumer pulls them; credit goes back to the peer
 * only for bytes the consumer has taken out of the Readable's buffer, so a slow local service holds
 * back only its own stream.
 */
import { Readable } from 'node:stream';
import type { MuxStream } from './mux-stream.js';

/** `initial`: chunks that arrived before the body was made; they come first and count as received. */
export function inboundNodeBody(stream: MuxStream, initial: readonly Uint8Array[] = []): Readable {
  let received = 0;
  let acknowledged = 0;
  const body = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      const consumed = received - body.readableLength - acknowledged;
      if (consumed > 0) {
        acknowledged += consumed;
        stream.consumed(consumed);
      }
    },
  });
  for (const chunk of initial) {
    received += chunk.length;
    body.push(chunk);
  }
  stream.events.data = (chunk) => {
    received += chunk.length;
    body.push(chunk);
  };
  stream.events.end = () => body.push(null);
  return body;
}
