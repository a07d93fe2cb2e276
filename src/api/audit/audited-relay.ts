/**
 * Follows one relayed request for the audit log: counts the body bytes each way, notes the status
 * and any error, and writes the request's one line when it is over. The response body is counted as
 * the exchange writes it (`BodyTap`): a stream of its own per answer would cost more than the line.
 *
 * On the Node server a relay is over when its `ServerResponse` closes, written in full or not: that
 * is the only moment that knows a streamed answer was delivered, or that the client went away.
 * Without a socket (`app.request()`) it is over at the failure, or once the answer's body has been
 * read to its end.
 */
import type { ServerResponse } from 'node:http';
import type { RelayResponse } from '../../link/relay.js';
import { RelayError } from '../../link/relay-error.js';
import { type ApiContext, nodeBindings } from '../bindings.js';
import type { BodyTap } from '../response-framing.js';
import { type AuditErrorCode, auditedPath, CLIENT_CLOSED_STATUS, type RelayAudit } from './relay-audit.js';
import { withRequestId } from './request-id.js';

export interface AuditedRequest {
  readonly requestId: string;
  readonly cname: string;
  readonly port: number;
  readonly method: string;
  /** Path and query string, as relayed. */
  readonly path: string;
  readonly client: string | undefined;
}

export class AuditedRelay implements BodyTap {
  readonly #started = performance.now();
  #status: number | undefined;
  #error: AuditErrorCode | undefined;
  #bytesIn = 0;
  #bytesOut = 0;
  #written = false;

  /** `response`: the Node response whose close ends the relay; absent under `app.request()`. */
  constructor(
    private readonly audit: RelayAudit,
    private readonly request: AuditedRequest,
    private readonly response?: ServerResponse,
  ) {
    response?.once('close', () => this.over(response.writableFinished));
  }

  get requestId(): string {
    return this.request.requestId;
  }

  /** The request body, counted as the relay reads it. */
  async *requestBody(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    for await (const chunk of body) {
      this.#bytesIn += chunk.byteLength;
      yield chunk;
    }
  }

  /**
   * The agent's answer, carrying the request id. A streamed body is counted as the client is sent
   * it, by the exchange that sends it (this is its `BodyTap`), with no stream of its own in between.
   */
  answered(answer: RelayResponse): RelayResponse {
    this.#status = answer.status;
    const headers = withRequestId(answer.headers, this.request.requestId);
    if (!(answer.body instanceof ReadableStream)) {
      this.#bytesOut = answer.body?.byteLength ?? 0;
      this.settled();
    }
    return { ...answer, headers };
  }

  bodySent(bytes: number): void {
    this.#bytesOut += bytes;
  }

  bodyFailed(error: unknown): void {
    this.#error ??= error instanceof RelayError ? error.code : 'cut';
    this.settled(false);
  }

  bodyEnded(): void {
    this.settled();
  }

  /** The relay failed with `error` before any answer: the client is told `status`. */
  failed(error: unknown, status: number): void {
    this.#status = status;
    this.#error = error instanceof RelayError ? error.code : 'internal';
    this.settled();
  }

  /** Without a socket, the relay is over here; with one, its close says so. */
  private settled(complete = true): void {
    if (!this.response) this.over(complete);
  }

  private over(complete: boolean): void {
    if (this.#written) return;
    this.#written = true;
    if (!complete && this.#error === undefined) {
      this.#error = this.#status === undefined ? 'client-closed' : 'cut';
    }
    const { requestId, cname, port, method, path, client } = this.request;
    this.audit.record({
      requestId,
      cname,
      port,
      method,
      path: auditedPath(path, this.audit.includeQuery),
      status: this.#status ?? CLIENT_CLOSED_STATUS,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      durationMs: Math.round((performance.now() - this.#started) * 10) / 10,
      ...(client === undefined ? {} : { client }),
      ...(this.#error === undefined ? {} : { error: this.#error }),
    });
  }
}

/** Starts following the relay of the request in `c`, known by `requestId`, to `port` of `cname`. */
export function auditRelay(
  c: ApiContext,
  audit: RelayAudit,
  requestId: string,
  cname: string,
  port: number,
  path: string,
): AuditedRelay {
  const node = nodeBindings(c);
  const client = node?.incoming.socket?.remoteAddress;
  return new AuditedRelay(
    audit,
    { requestId, cname, port, method: c.req.method, path, client },
    node?.outgoing,
  );
}
