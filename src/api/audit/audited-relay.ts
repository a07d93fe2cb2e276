/**
 * Follows one relayed request for the audit log: counts the body bytes each way, notes the status
 * and any error, and writes the request's one line when it is over.
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

export class AuditedRelay {
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

  /** The agent's answer, carrying the request id and with its body counted as the client is sent it. */
  answered(answer: RelayResponse): RelayResponse {
    this.#status = answer.status;
    const headers = withRequestId(answer.headers, this.request.requestId);
    const { body } = answer;
    if (!(body instanceof ReadableStream)) {
      this.#bytesOut = body?.byteLength ?? 0;
      this.settled();
      return { ...answer, headers };
    }
    return { ...answer, headers, body: this.countedBody(body) };
  }

  /** The relay failed with `error` before any answer: the client is told `status`. */
  failed(error: unknown, status: number): void {
    this.#status = status;
    this.#error = error instanceof RelayError ? error.code : 'internal';
    this.settled();
  }

  private countedBody(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    return new ReadableStream<Uint8Array>(
      {
        // A promise chain rather than an async function: this runs once per chunk of every answer.
        pull: (controller) =>
          reader.read().then(
            ({ done, value }) => {
              if (done) {
                controller.close();
                this.settled();
                return;
              }
              this.#bytesOut += value.byteLength;
              controller.enqueue(value);
            },
            (error: unknown) => {
              this.#error ??= error instanceof RelayError ? error.code : 'cut';
              controller.error(error);
              this.settled(false);
            },
          ),
        cancel: (reason) => reader.cancel(reason),
      },
      // Pull only when the client's side reads: back-pressure reaches the agent as before.
      { highWaterMark: 0 },
    );
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
