/**
 * The tower's half of a relayed HTTP exchange: opens a stream on a bolt, sends the request, and
 * resolves with the response head and a streamed body.
 */

import { ExchangeDeadline } from '../../link/exchange-deadline.js';
import { isBodylessStatus } from '../../link/http-headers.js';
import type { RelayOptions, RelayRequest, RelayResponse } from '../../link/relay.js';
import { RelayError, type RelayErrorCode } from '../../link/relay-error.js';
import type { BoltSession } from '../mux/bolt-session.js';
import { type BodySink, EarlyBody } from '../mux/early-body.js';
import type { MuxStream, StreamListener, StreamResetError } from '../mux/mux-stream.js';
import { InboundWebBody, pumpBody } from '../mux/web-body.js';
import { ErrorCode } from '../protocol/frames.js';
import { decodeResponseHead, encodeJson, type ResponseHead } from '../protocol/heads.js';

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

const noUpload = (): void => {};

export function relay(
  session: BoltSession,
  port: number,
  request: RelayRequest,
  options: RelayOptions,
): Promise<RelayResponse> {
  return new Promise((resolve, reject) => {
    new RelayExchange(session, port, request, options, resolve, reject);
  });
}

/** One exchange, and the one listener of its stream: it feeds the response body itself. */
class RelayExchange implements StreamListener {
  private readonly deadline: ExchangeDeadline;
  private stream: MuxStream | undefined;
  private stopUpload = noUpload;
  /** Where response body bytes go: the early collector, then the body the caller reads. */
  private body: BodySink | undefined;
  private streamed: InboundWebBody | undefined;

  constructor(
    session: BoltSession,
    port: number,
    request: RelayRequest,
    options: RelayOptions,
    private readonly resolve: (response: RelayResponse) => void,
    private readonly reject: (error: RelayError) => void,
  ) {
    this.deadline = new ExchangeDeadline(options, 'response', (error) => this.abandon(error));
    if (this.deadline.settled) return;
    const head = encodeJson({ port, method: request.method, path: request.path, headers: request.headers });
    let stream: MuxStream;
    try {
      stream = session.openStream(head, request.body === null);
    } catch {
      this.deadline.fail(new RelayError('bolt-lost', 'the bolt closed before the request could be sent'));
      return;
    }
    this.stream = stream;
    stream.listen(this);
    if (request.body) this.stopUpload = pumpBody(request.body, stream);
  }

  head(payload: Uint8Array, endStream: boolean): void {
    if (this.deadline.settled) return;
    let response: ResponseHead;
    try {
      response = decodeResponseHead(payload);
      if (!endStream && isBodylessStatus(response.status)) {
        throw new Error(`status ${response.status} cannot carry a body`);
      }
    } catch (error) {
      // Settled first, so the reset below (a no-op when the head ended the stream) reports nothing.
      this.deadline.settle();
      this.stream?.reset(ErrorCode.Protocol, 'malformed response head');
      this.reject(
        new RelayError('protocol', error instanceof Error ? error.message : 'malformed response head'),
      );
      return;
    }
    this.deadline.settle();
    if (endStream) {
      this.responseComplete();
      this.resolve({ status: response.status, headers: response.headers, body: null });
      return;
    }
    this.body = new EarlyBody((early) => this.earlyBodyDone(response, early));
  }

  data(chunk: Uint8Array): void {
    this.body?.push(chunk);
  }

  end(): void {
    this.body?.end();
    if (this.streamed) this.responseComplete();
  }

  reset(error: StreamResetError): void {
    this.stopUpload();
    // A body cut after its head fails with the relay's code too, for whoever reads it (the audit).
    if (!this.deadline.settled) this.deadline.fail(toRelayError(error));
    else this.streamed?.fail(toRelayError(error));
  }

  private earlyBodyDone(response: ResponseHead, early: EarlyBody): void {
    const stream = this.stream;
    if (!stream) return;
    if (early.ended) {
      this.responseComplete();
      this.resolve({ status: response.status, headers: response.headers, body: Buffer.concat(early.chunks) });
      return;
    }
    if (stream.error) {
      this.reject(toRelayError(stream.error));
      return;
    }
    const streamed = new InboundWebBody(stream, early.chunks);
    this.streamed = streamed;
    this.body = streamed;
    this.resolve({ status: response.status, headers: response.headers, body: streamed.body });
  }

  /** Fails the exchange before its head: the upload stops and the agent hears why. */
  private abandon(error: RelayError): void {
    this.stopUpload();
    this.stream?.reset(ErrorCode.Cancel, error.code === 'timeout' ? 'relay timeout' : 'the client went away');
    this.reject(error);
  }

  // Once the response is complete the exchange is over: an upload still running is abandoned with
  // NoError (as RFC 9113 8.1 allows), or it would hold the stream and the agent's local request forever.
  private responseComplete(): void {
    this.stopUpload();
    this.stream?.reset(ErrorCode.NoError, 'response complete');
  }
}
