/**
 * The two preambles of a `relay:<port>` exchange, each a JSON object serialised to a string and sent
 * as that string in the first data frame (double-encoded on the wire).
 *
 * Request: `{"method","url","data"}`, with `url` a path (an absolute URL would send the agent to
 * another host) and `data` only when there is a body, so a poll is exactly
 * `{"method":"GET","url":"/status"}`. Reply: `{"statusCode","headers"}`, where `headers` is Node's
 * lower-cased header map of the agent's local response, or null on its 408 / 500 answers.
 */

import { isPlainObject } from '../json/plain-object.js';
import { endToEndHeaders } from '../link/http-headers.js';
import type { HeaderList } from '../link/relay.js';
import { RelayError } from '../link/relay-error.js';
import type { PreambleData } from './json-body.js';

export interface ReplyHead {
  readonly status: number;
  readonly headers: HeaderList;
  /**
   * `{"statusCode":500,"headers":null}`: what a 0.4.3 agent sends when its local request fails
   * (refused, reset). A real 500 from the agent's service has headers.
   */
  readonly localFailure: boolean;
}

export function requestPreamble(method: string, path: string, data: PreambleData): string {
  const url = path.startsWith('/') ? path : `/${path}`;
  return JSON.stringify(data.present ? { method, url, data: data.value } : { method, url });
}

// The body is re-encoded from text on this side, so the agent's length no longer holds; the HTTP
// server computes its own framing.
const DROPPED = new Set(['content-length']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// What Node will write in a response head (and a bolt's head may hold): tab, visible ASCII, space,
// obs-text. Anything else would make the API throw half way through its answer.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Reads the reply preamble; a string is parsed, and an object sent unencoded is taken as it is. */
export function parseReplyPreamble(payload: unknown): ReplyHead {
  let value: unknown = payload;
  if (typeof payload === 'string') {
    try {
      value = JSON.parse(payload);
    } catch {
      throw protocol('the reply preamble is not JSON');
    }
  }
  if (!isPlainObject(value)) {
    throw protocol('the reply preamble is not a JSON object');
  }
  const { statusCode, headers } = value as { statusCode?: unknown; headers?: unknown };
  // 200-599: what an HTTP response can carry on; Node's client never hands over a 1xx as the reply.
  if (
    typeof statusCode !== 'number' ||
    !Number.isInteger(statusCode) ||
    statusCode < 200 ||
    statusCode > 599
  ) {
    throw protocol(`the reply preamble has no usable statusCode (${JSON.stringify(statusCode)})`);
  }
  return {
    status: statusCode,
    headers: endToEndHeaders(flatten(headers), DROPPED),
    localFailure: statusCode === 500 && headers === null,
  };
}

/**
 * Node's header map (string, number or string-array values) as a flat name/value list. A field no
 * HTTP response can carry fails the reply (502), as a bad field in a bolt's head does; values of
 * other JSON types, which Node's map never holds, are left out.
 */
function flatten(headers: unknown): string[] {
  if (!isPlainObject(headers)) return [];
  const flat: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name))
      throw protocol(`the reply preamble has an invalid header name ${JSON.stringify(name)}`);
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      const text = typeof item === 'string' ? item : typeof item === 'number' ? String(item) : undefined;
      if (text === undefined) continue;
      if (!FIELD_VALUE.test(text)) throw protocol(`the reply preamble has an invalid value for ${name}`);
      flat.push(name, text);
    }
  }
  return flat;
}

const protocol = (message: string) => new RelayError('protocol', message);
