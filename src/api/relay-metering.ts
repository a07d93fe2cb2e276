/**
 * Counts a relayed exchange's body bytes for a `RelayObserver` as they pass, without buffering:
 * the request body as the relay reads it, the response body as the client is sent it.
 */
import type { RelayTarget } from '../link/bolt.js';
import type { RelayResponse } from '../link/relay.js';
import { outcomeOf, type RelayObserver } from './api-observer.js';

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

/**
 * `target` with each relay it makes told to `observer`: outcome and time to the response head (or
 * to the failure), body bytes both ways. For a hop the API's own relay count does not single out,
 * such as the one to a peer tower.
 */
export function meteredTarget(target: RelayTarget, observer: RelayObserver): RelayTarget {
  return {
    cname: target.cname,
    async relay(port, request, options) {
      const started = performance.now();
      const body = request.body && meteredRequestBody(request.body, observer);
      try {
        const response = await target.relay(port, { ...request, body }, options);
        observer.relayed(outcomeOf(response.status), (performance.now() - started) / 1000);
        return meteredResponse(response, observer);
      } catch (error) {
        observer.relayed('error', (performance.now() - started) / 1000);
        throw error;
      }
    },
  };
}
