/**
 * The JSON payloads of Hello, Request and Response frames, and their strict validation.
 *
 * JSON keeps heads readable in a packet capture and V8 parses it faster than hand-rolled binary for
 * a few dozen short strings. Everything a peer sends is checked here before any other code sees it.
 */

import { isPlainObject } from '../../json/plain-object.js';
import type { HeaderList } from '../../link/relay.js';
import { Limits } from './frames.js';
import { ProtocolError, type ProtocolErrorCode } from './protocol-error.js';

export interface HelloPayload {
  readonly v: 1;
  readonly ports: readonly number[];
  readonly agent?: string;
}

export interface RequestHead {
  readonly port: number;
  readonly method: string;
  /** Path and query, starting with `/`. */
  readonly path: string;
  readonly headers: HeaderList;
}

export interface ResponseHead {
  readonly status: number;
  readonly headers: HeaderList;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Node's own rules: a header value is tab, visible ASCII, space or obs-text (0x80-0xff); a path is
// visible characters only. Anything else Node would refuse to send, or to build a Headers object from.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const PATH = /^\/[\x21-\x7e\x80-\xff]*$/;
const MAX_PATH = 16 * 1024;

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

function parseJsonObject(payload: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch {
    return fail('BOLT_ERR_BAD_JSON', `${what} is not valid JSON`);
  }
  if (!isPlainObject(value)) return fail('BOLT_ERR_BAD_JSON', `${what} is not an object`);
  return value as Record<string, unknown>;
}

export const isPort = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;

function parseHeaders(value: unknown, what: string): HeaderList {
  if (!Array.isArray(value) || value.length % 2 !== 0)
    return fail('BOLT_ERR_BAD_HEAD', `${what}.headers must be a flat name/value list`);
  if (value.length > Limits.maxHeaderFields * 2) {
    throw new ProtocolError(
      'BOLT_ERR_TOO_MANY_HEADERS',
      `${what} has more than ${Limits.maxHeaderFields} header fields`,
    );
  }
  for (let i = 0; i < value.length; i += 2) {
    const name: unknown = value[i];
    const field: unknown = value[i + 1];
    if (typeof name !== 'string' || !TOKEN.test(name))
      fail('BOLT_ERR_BAD_HEAD', `${what} has an invalid header name`);
    if (typeof field !== 'string' || !FIELD_VALUE.test(field))
      fail('BOLT_ERR_BAD_HEAD', `${what} has an invalid value for ${String(name)}`);
  }
  return value as HeaderList;
}

export function decodeHello(payload: Uint8Array): HelloPayload {
  const hello = parseJsonObject(payload, 'hello');
  if (hello.v !== 1)
    fail('BOLT_ERR_UNSUPPORTED_VERSION', `unsupported bolt protocol version ${JSON.stringify(hello.v)}`);
  const { ports, agent } = hello;
  if (!Array.isArray(ports) || ports.length > Limits.maxPorts || !ports.every(isPort)) {
    fail(
      'BOLT_ERR_BAD_HELLO',
      `hello.ports must be a list of at most ${Limits.maxPorts} ports from 1 to 65535`,
    );
  }
  if (agent !== undefined && (typeof agent !== 'string' || agent.length > 256))
    fail('BOLT_ERR_BAD_HELLO', 'hello.agent must be a short string');
  return {
    v: 1,
    ports: [...new Set(ports as number[])],
    ...(agent === undefined ? {} : { agent: agent as string }),
  };
}

export function decodeRequestHead(payload: Uint8Array): RequestHead {
  const head = parseJsonObject(payload, 'request head');
  const { port, method, path } = head;
  if (!isPort(port)) fail('BOLT_ERR_BAD_HEAD', 'request head has an invalid port');
  if (typeof method !== 'string' || method.length > 32 || !TOKEN.test(method))
    fail('BOLT_ERR_BAD_HEAD', 'request head has an invalid method');
  if (typeof path !== 'string' || path.length > MAX_PATH || !PATH.test(path)) {
    fail('BOLT_ERR_BAD_HEAD', 'request head path must start with "/" and hold visible characters only');
  }
  return {
    port: port as number,
    method: method as string,
    path: path as string,
    headers: parseHeaders(head.headers, 'request head'),
  };
}

export function decodeResponseHead(payload: Uint8Array): ResponseHead {
  const head = parseJsonObject(payload, 'response head');
  const { status } = head;
  // Interim 1xx answers never cross the bolt: the agent forwards final responses only.
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    fail('BOLT_ERR_BAD_HEAD', 'response head has an invalid status (200-599)');
  }
  return { status: status as number, headers: parseHeaders(head.headers, 'response head') };
}

export const encodeJson = (value: HelloPayload | RequestHead | ResponseHead): Buffer =>
  Buffer.from(JSON.stringify(value), 'utf8');
