/**
 * The agent's account of one relayed request it served, for its log: the same request id the tower
 * logs (`x-request-id`, which the tower sets on every relay), so the two lines can be joined.
 *
 * The path is logged without its query string, as the tower logs it by default.
 */
import type { RequestHead } from '../protocol/heads.js';

/**
 * Why a relayed request was not served in full: the local service could not be reached or failed,
 * or the tower cancelled the stream (its client went away, or its relay timed out).
 */
export type RelayRecordError = 'upstream-unreachable' | 'upstream-failed' | 'cancelled';

export interface RelayRecord {
  /** Absent only when a tower sent none (an older tower). */
  readonly requestId?: string;
  readonly port: number;
  readonly method: string;
  readonly path: string;
  /** The local service's status; absent when it gave none. */
  readonly status?: number;
  /** Request body bytes from the tower, and response body bytes sent back. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
  readonly error?: RelayRecordError;
}

/** Told about each relayed request once it is over. */
export type RelayRecorder = (record: RelayRecord) => void;

const REQUEST_ID = 'x-request-id';

function requestIdOf(headers: readonly string[]): string | undefined {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]?.toLowerCase() === REQUEST_ID) return headers[i + 1];
  }
  return undefined;
}

/** Gathers one request's record as it is served, and hands it over once. */
export class RelayRecording {
  private readonly started = performance.now();
  private status: number | undefined;
  private error: RelayRecordError | undefined;
  private bytesIn = 0;
  private bytesOut = 0;
  private done = false;

  constructor(
    private readonly head: RequestHead,
    private readonly recorder: RelayRecorder,
  ) {}

  received(bytes: number): void {
    this.bytesIn += bytes;
  }

  sent(bytes: number): void {
    this.bytesOut += bytes;
  }

  answered(status: number): void {
    this.status = status;
  }

  /** The request is over: served in full, or failed with `error`. Later calls are ignored. */
  over(error?: RelayRecordError): void {
    if (this.done) return;
    this.done = true;
    this.error ??= error;
    const { port, method, path } = this.head;
    const query = path.indexOf('?');
    const requestId = requestIdOf(this.head.headers);
    this.recorder({
      ...(requestId === undefined ? {} : { requestId }),
      port,
      method,
      path: query < 0 ? path : path.slice(0, query),
      ...(this.status === undefined ? {} : { status: this.status }),
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      durationMs: Math.round((performance.now() - this.started) * 10) / 10,
      ...(this.error === undefined ? {} : { error: this.error }),
    });
  }
}
