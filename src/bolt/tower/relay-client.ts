/**
 * The tower's half of a relayed HTTP exchange: opens a stream on a bolt, sends the request, and
 * resolves with the response head and a streamed body.
 */

import { isBodylessStatus } from '../../link/http-headers.js';
import type { RelayOptions, RelayRequest, RelayResponse } from '../../link/relay.js';
import { RelayError, type RelayErrorCode } from '../../link/relay-error.js';
import type { BoltSession } from '../mux/bolt-session.js';
import { collectEarlyBody } from '../mux/early-body.js';
import type { StreamResetError } from '../mux/mux-stream.js';
import { inboundBody, pumpBody } from '../mux/web-body.js';
import { ErrorCode } from '../protocol/frames.js';
import { decodeResponseHead, encodeJson } from '../protocol/heads.js';

const relayCodeFor: Partial<Record<number, RelayErrorCode>> = {
  [ErrorCode.PortNotAllowed]: 'port-not-allowed',
  [ErrorCode.UpstreamUnreachable]: 'upstream-unreachable',
  [ErrorCode.UpstreamFailed]: 'upstream-failed',
  [ErrorCode.ConnectionLost]: 'bolt-lost',
  [ErrorCode.RefusedStream]: 'refused',
  [ErrorCode.Cancel]: 'upstream-failed',
};

const toRelayError = (error: StreamResetError): RelayError =>
  new RelayError(relayCodeFor[error.code] ?? 'protocol', error.message);

export function relay(
  session: BoltSession,
  port: number,
  request: RelayRequest,
  options: RelayOptions,
): Promise<RelayResponse> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new RelayError('upstream-failed', 'request aborted'));
    const head = encodeJson({ port, method: request.method, path: request.path, headers: request.headers });
    let stream: ReturnType<BoltSession['openStream']>;
    try {
      stream = session.openStream(head, request.body === null);
    } catch {
      return reject(new RelayError('bolt-lost', 'the bolt closed before the request could be sent'));
    }
    let answered = false;
    let failBody: ((error: StreamResetError) => void) | undefined;
    const stopUpload = request.body ? pumpBody(request.body, stream) : () => {};

    const settle = () => {
      answered = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const timer = setTimeout(() => {
      settle();
      stopUpload();
      stream.reset(ErrorCode.Cancel, 'relay timeout');
      reject(new RelayError('timeout', `no response within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    const onAbort = () => {
      settle();
      stopUpload();
      stream.reset(ErrorCode.Cancel, 'the client went away');
      reject(new RelayError('upstream-failed', 'request aborted'));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    // Once the response is complete the exchange is over: an upload still running is abandoned with
    // NoError (as RFC 9113 8.1 allows), or it would hold the stream and the agent's local request forever.
    const responseComplete = () => {
      stopUpload();
      stream.reset(ErrorCode.NoError, 'response complete');
    };

    stream.events.reset = (error) => {
      stopUpload();
      if (answered) return failBody?.(error);
      settle();
      reject(toRelayError(error));
    };
    stream.events.head = (payload, endStream) => {
      if (answered) return;
      let response: ReturnType<typeof decodeResponseHead>;
      try {
        response = decodeResponseHead(payload);
        if (!endStream && isBodylessStatus(response.status)) {
          throw new Error(`status ${response.status} cannot carry a body`);
        }
      } catch (error) {
        settle(); // the reset below may not fire events.reset (a head with END_STREAM ends the stream)
        stream.reset(ErrorCode.Protocol, 'malformed response head');
        return reject(
          new RelayError('protocol', error instanceof Error ? error.message : 'malformed response head'),
        );
      }
      settle();
      if (endStream) {
        responseComplete();
        resolve({ status: response.status, headers: response.headers, body: null });
        return;
      }
      collectEarlyBody(stream, (early, ended) => {
        if (ended) {
          responseComplete();
          resolve({ status: response.status, headers: response.headers, body: Buffer.concat(early) });
          return;
        }
        if (stream.error) return reject(toRelayError(stream.error));
        const inbound = inboundBody(stream, early);
        failBody = inbound.fail;
        const bodyEnded = stream.events.end;
        stream.events.end = () => {
          bodyEnded?.();
          responseComplete();
        };
        resolve({ status: response.status, headers: response.headers, body: inbound.body });
      });
    };
  });
}
