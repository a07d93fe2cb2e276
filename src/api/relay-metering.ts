/**
 * Counts a relayed exchange's body bytes for a `RelayObserver` as they pass, without buffering:
 * the request body as the relay reads it, the response body as the client is sent it.
 */
import type { RelayResponse } from '../link/relay.js';
import type { RelayObserver } from './api-observer.js';

export async function* meteredRequestBody(
  body: AsyncIterable<Uint8Array>,
  observer: RelayObserver,
): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    observer.bytes('request', chunk.byteLength);
    yield chunk;
  }
}

/** `response` with its body counted: at once for bytes in hand, chunk by chunk for a stream. */
export function meteredResponse(response: RelayResponse, observer: RelayObserver): RelayResponse {
  const { body } = response;
  if (body === null) return response;
  if (!(body instanceof ReadableStream)) {
    observer.bytes('response', body.byteLength);
    return response;
  }
  const counted = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        observer.bytes('response', chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );
  return { ...response, body: counted };
}
