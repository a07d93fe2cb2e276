/**
 * One relayed HTTP exchange as every transport carries it: the request the API hands a bolt, the
 * response it gets back, and how the caller bounds and cancels it.
 */

/** Header fields as a flat list: name, value, name, value... (order and repeats preserved). */
export type HeaderList = string[];

export interface RelayRequest {
  readonly method: string;
  /** Path and query string, starting with `/`. */
  readonly path: string;
  readonly headers: HeaderList;
  /** A WHATWG or Node stream of the request body; null when there is none. */
  readonly body: AsyncIterable<Uint8Array> | null;
}

export interface RelayResponse {
  readonly status: number;
  readonly headers: HeaderList;
  /**
   * Null when the agent sent no body (HEAD, 204, 304...); the bytes themselves when the whole body
   * arrived with the head; otherwise a stream.
   */
  readonly body: ReadableStream<Uint8Array> | Uint8Array | null;
}

/**
 * The part of an `AbortSignal` a relay listens to. An AbortSignal fits; so does a lighter object
 * for the proxy's hot path, which then builds no AbortController per request.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface RelayOptions {
  /** Milliseconds to wait for the response head; the body has none here (the API bounds its idle time). */
  readonly timeoutMs: number;
  /** Aborts the exchange, e.g. when the HTTP client goes away. */
  readonly signal?: CancelSignal;
}
