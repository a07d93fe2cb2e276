/**
 * How the tower frames a relayed response for its client: never by trusting the agent's
 * `content-length` blindly, since a wrong one lets an agent end a response early and make its next
 * bytes read as the answer to the client's next request, or keep a client waiting for bytes that
 * never come.
 *
 * The agent's length is used only when it is one plain integer, and for a streamed body only up to
 * that many bytes (`LengthGuard`); otherwise the length is unknown and the HTTP server frames the
 * body itself (chunked, or by closing the connection for an HTTP/1.0 client). A body in hand is
 * framed by its real length.
 */
import { endToEndHeaders, hasNoBody } from '../link/http-headers.js';
import type { HeaderList, RelayResponse } from '../link/relay.js';

/** The agent's `content-length` fields: none, one usable integer, or anything else. */
export type DeclaredLength =
  | { readonly kind: 'none' }
  | { readonly kind: 'valid'; readonly length: number }
  | { readonly kind: 'invalid'; readonly values: readonly string[] };

// RFC 9110 8.6: 1*DIGIT. Fifteen digits stay a safe integer; nobody relays a petabyte.
const DIGITS = /^\d{1,15}$/;

export function declaredLength(headers: HeaderList): DeclaredLength {
  const values: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]?.toLowerCase() === 'content-length') values.push(headers[i + 1] ?? '');
  }
  if (values.length === 0) return { kind: 'none' };
  // Two fields are refused even when equal, and so is a list: one response, one length.
  const value = values.length === 1 ? values[0]?.trim() : undefined;
  if (value === undefined || !DIGITS.test(value)) return { kind: 'invalid', values };
  return { kind: 'valid', length: Number(value) };
}

export interface FramedResponse {
  readonly status: number;
  /** End-to-end fields with the tower's `content-length`, or none when the server must frame. */
  readonly headers: HeaderList;
  /** Null when the answer carries no body at all (HEAD, 204, 205, 304). */
  readonly body: ReadableStream<Uint8Array> | Uint8Array | null;
  /** For a streamed body: the length promised to the client, which the body must meet exactly. */
  readonly expected: number | undefined;
  /** The agent's length, when it was unusable or wrong for a body in hand (for the log). */
  readonly badLength: readonly string[] | undefined;
}

// A length on these would be a lie (RFC 9110 8.6, 15.3.6); HEAD and 304 repeat the GET's.
const NO_LENGTH = new Set([204, 205]);

export function frameResponse(method: string, response: RelayResponse): FramedResponse {
  const { status } = response;
  const fields = endToEndHeaders(response.headers);
  const declared = declaredLength(fields);
  const headers = withoutLength(fields);
  const bad = declared.kind === 'invalid' ? declared.values : undefined;
  const framed = (body: FramedResponse['body'], length: number | undefined, badLength = bad) => {
    if (length !== undefined) headers.push('content-length', String(length));
    return {
      status,
      headers,
      body,
      expected: body instanceof ReadableStream ? length : undefined,
      badLength,
    };
  };

  if (hasNoBody(method, status)) {
    return framed(null, declared.kind === 'valid' && !NO_LENGTH.has(status) ? declared.length : undefined);
  }
  if (response.body instanceof ReadableStream) {
    return framed(response.body, declared.kind === 'valid' ? declared.length : undefined);
  }
  const bytes = response.body ?? new Uint8Array(0);
  const wrong = declared.kind === 'valid' && declared.length !== bytes.length;
  return framed(bytes, bytes.length, wrong ? [String(declared.length)] : bad);
}

function withoutLength(fields: HeaderList): HeaderList {
  for (let i = fields.length - 2; i >= 0; i -= 2) {
    if (fields[i]?.toLowerCase() === 'content-length') fields.splice(i, 2);
  }
  return fields;
}

/**
 * Holds a streamed body to the length its client was promised: what fits is passed on, and past
 * the length nothing is. Without a promised length every byte passes.
 */
export class LengthGuard {
  private received = 0;

  constructor(readonly expected: number | undefined) {}

  /** The part of `chunk` the client may have. */
  admit(chunk: Uint8Array): Uint8Array {
    const room = this.expected === undefined ? chunk.length : this.expected - this.received;
    this.received += chunk.length;
    return chunk.length <= room ? chunk : chunk.subarray(0, Math.max(room, 0));
  }

  /** More arrived than was promised. */
  get overrun(): boolean {
    return this.expected !== undefined && this.received > this.expected;
  }

  /** Less arrived than was promised (meaningful once the body has ended). */
  get short(): boolean {
    return this.expected !== undefined && this.received < this.expected;
  }

  get bytes(): number {
    return this.received;
  }
}

/** What a body writer reports while it streams a relayed body to its client. */
export interface BodyWatch {
  /** No byte may stand still longer than this, either way (ms). */
  readonly idleTimeoutMs: number;
  /** The body broke the length its client was promised (`detail` says how). */
  badLength(detail: string): void;
  /** The deadline passed while waiting on `side`; the exchange is being aborted. */
  idle(side: 'agent' | 'client'): void;
  /** Told what the body does on its way to the client (the audit); nothing is told without it. */
  readonly tap?: BodyTap;
}

/** Follows a relayed body as the client is sent it, without a stream of its own in between. */
export interface BodyTap {
  /** `bytes` more of the body went to the client. */
  bodySent(bytes: number): void;
  /** The body broke off: the agent's stream failed (with the relay's error), or it broke its length. */
  bodyFailed(error: unknown): void;
  /** The body was sent to its end. */
  bodyEnded(): void;
}
