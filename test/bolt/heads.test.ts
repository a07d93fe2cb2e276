/**
 * The JSON heads (Hello, Request, Response): what decodes, every field that is refused, and fast-check
 * properties: heads round-trip, and any payload is accepted within Node's own rules or refused with a
 * ProtocolError (a failure prints its seed and a shrunk input).
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/bolt/protocol/codec.js';
import { Limits } from '../../src/bolt/protocol/frames.js';
import {
  decodeHello,
  decodeRequestHead,
  decodeResponseHead,
  encodeJson,
} from '../../src/bolt/protocol/heads.js';
import { codeOf } from '../helpers/protocol-error.js';

const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value), 'utf8');
const text = (value: string): Uint8Array => Buffer.from(value, 'utf8');

const request = { port: 8080, method: 'GET', path: '/status?x=1', headers: ['accept', 'application/json'] };
const response = {
  status: 200,
  headers: ['content-type', 'text/plain', 'set-cookie', 'a=1', 'set-cookie', 'b=2'],
};
const withRequest = (change: Record<string, unknown>) => json({ ...request, ...change });
const withResponse = (change: Record<string, unknown>) => json({ ...response, ...change });

describe('decodeHello', () => {
  it('accepts a capability, drops duplicate ports, keeps the agent name', () => {
    expect(decodeHello(json({ v: 1, ports: [80, 443, 80], agent: 'stormtower-agent' }))).toEqual({
      v: 1,
      ports: [80, 443],
      agent: 'stormtower-agent',
    });
    expect(decodeHello(json({ v: 1, ports: [] }))).toEqual({ v: 1, ports: [] });
    expect(decodeHello(json({ v: 1, ports: [1, 65535], extra: { ignored: true } }))).toEqual({
      v: 1,
      ports: [1, 65535],
    });
  });

  it(`accepts ${Limits.maxPorts} ports and refuses one more`, () => {
    const ports = Array.from({ length: Limits.maxPorts + 1 }, (_, i) => 1000 + i);
    expect(decodeHello(json({ v: 1, ports: ports.slice(0, -1) })).ports).toHaveLength(Limits.maxPorts);
    expect(codeOf(() => decodeHello(json({ v: 1, ports })))).toBe('BOLT_ERR_BAD_HELLO');
  });

  it('refuses what is not a JSON object', () => {
    for (const payload of [
      text(''),
      text('{'),
      text('{"v":1,}'),
      text('[1]'),
      text('null'),
      text('1'),
      text('"v"'),
    ]) {
      expect(codeOf(() => decodeHello(payload))).toBe('BOLT_ERR_BAD_JSON');
    }
  });

  it('refuses any version but 1', () => {
    for (const v of [0, 2, '1', 1.5, null, true, [1]]) {
      expect(codeOf(() => decodeHello(json({ v, ports: [80] })))).toBe('BOLT_ERR_UNSUPPORTED_VERSION');
    }
    expect(codeOf(() => decodeHello(json({ ports: [80] })))).toBe('BOLT_ERR_UNSUPPORTED_VERSION');
  });

  it('refuses ports that are missing, not a list, out of range or not integers', () => {
    for (const ports of [
      undefined,
      80,
      '80',
      { 0: 80 },
      [0],
      [65536],
      [-1],
      [80.5],
      ['80'],
      [null],
      [[80]],
    ]) {
      expect(codeOf(() => decodeHello(json({ v: 1, ports })))).toBe('BOLT_ERR_BAD_HELLO');
    }
  });

  it('refuses an agent name that is not a string or longer than 256 characters', () => {
    expect(decodeHello(json({ v: 1, ports: [], agent: 'a'.repeat(256) })).agent).toHaveLength(256);
    for (const agent of [1, null, ['a'], { name: 'a' }, 'a'.repeat(257)]) {
      expect(codeOf(() => decodeHello(json({ v: 1, ports: [], agent })))).toBe('BOLT_ERR_BAD_HELLO');
    }
  });
});

describe('decodeRequestHead', () => {
  it('accepts a request head as sent', () => {
    expect(decodeRequestHead(encodeJson(request))).toEqual(request);
    expect(decodeRequestHead(withRequest({ method: 'M-SEARCH', path: '/', headers: [] }))).toMatchObject({
      method: 'M-SEARCH',
      path: '/',
      headers: [],
    });
  });

  it('refuses what is not a JSON object', () => {
    for (const payload of [
      text('GET / HTTP/1.1'),
      text('[]'),
      text('null'),
      text('"{}"'),
      Buffer.from([0xff, 0xfe]),
    ]) {
      expect(codeOf(() => decodeRequestHead(payload))).toBe('BOLT_ERR_BAD_JSON');
    }
  });

  it('refuses a port out of range, not an integer, or missing', () => {
    for (const port of [0, 65536, -80, 80.5, '80', null, undefined, [80]]) {
      expect(codeOf(() => decodeRequestHead(withRequest({ port })))).toBe('BOLT_ERR_BAD_HEAD');
    }
  });

  it('takes a method of 1-32 token characters and nothing else', () => {
    expect(decodeRequestHead(withRequest({ method: 'X'.repeat(32) })).method).toHaveLength(32);
    for (const method of ['', 'GE T', 'GET\r\n', 'GÉT', 'GET/', '(GET)', 'X'.repeat(33), 7, null, ['GET']]) {
      expect(codeOf(() => decodeRequestHead(withRequest({ method })))).toBe('BOLT_ERR_BAD_HEAD');
    }
  });

  it('takes a path that starts with "/", holds no CR, LF or NUL and fits in 16 KiB', () => {
    expect(decodeRequestHead(withRequest({ path: `/${'a'.repeat(16 * 1024 - 1)}` })).path).toHaveLength(
      16 * 1024,
    );
    const bad = [
      '',
      'status',
      'http://host/x',
      '*',
      '/a\r\nX-Injected: 1',
      '/a\nb',
      '/a\rb',
      '/a\0b',
      `/${'a'.repeat(16 * 1024)}`,
    ];
    for (const path of [...bad, 1, null, ['/']]) {
      expect(codeOf(() => decodeRequestHead(withRequest({ path })))).toBe('BOLT_ERR_BAD_HEAD');
    }
  });
});

describe('decodeResponseHead', () => {
  it('accepts final statuses 200-599', () => {
    for (const status of [200, 204, 304, 404, 599]) {
      expect(decodeResponseHead(withResponse({ status }))).toEqual({ ...response, status });
    }
  });

  it('refuses 99, 600, 101, non-integers and non-numbers', () => {
    for (const status of [99, 600, 101, 0, -200, 200.5, '200', null, undefined, [200]]) {
      expect(codeOf(() => decodeResponseHead(withResponse({ status })))).toBe('BOLT_ERR_BAD_HEAD');
    }
  });

  it('refuses what is not a JSON object', () => {
    for (const payload of [text('HTTP/1.1 200 OK'), text('[200]'), text('')]) {
      expect(codeOf(() => decodeResponseHead(payload))).toBe('BOLT_ERR_BAD_JSON');
    }
  });

  // Regression: this was once broken in src/bolt/protocol/heads.ts, decodeResponseHead.
  it('refuses 1xx interim statuses, which the tower cannot answer with', () => {
    for (const status of [100, 102, 103, 199]) {
      expect(codeOf(() => decodeResponseHead(withResponse({ status })))).toBe('BOLT_ERR_BAD_HEAD');
    }
  });
});

describe('header lists (request and response heads alike)', () => {
  it('keep order and repeats, and allow empty values, tabs and non-ASCII text', () => {
    const headers = [
      'x-a',
      '1',
      'X-A',
      '2',
      'x-empty',
      '',
      'x-tab',
      'a\tb',
      'x-latin',
      'café',
      "!#$%&'*+-.^_`|~",
      'v',
    ];
    expect(decodeRequestHead(withRequest({ headers })).headers).toEqual(headers);
    expect(decodeResponseHead(withResponse({ headers })).headers).toEqual(headers);
  });

  it('refuse a missing list, a non-list and a list of odd length', () => {
    for (const headers of [undefined, null, 'a: b', { a: 'b' }, ['a'], ['a', 'b', 'c']]) {
      expect(codeOf(() => decodeRequestHead(withRequest({ headers })))).toBe('BOLT_ERR_BAD_HEAD');
      expect(codeOf(() => decodeResponseHead(withResponse({ headers })))).toBe('BOLT_ERR_BAD_HEAD');
    }
  });

  it('refuse names and values that are not strings', () => {
    for (const headers of [
      [1, 'v'],
      ['n', 1],
      [null, 'v'],
      ['n', null],
      [['n'], 'v'],
      ['n', { v: 1 }],
      ['n', true],
    ]) {
      expect(codeOf(() => decodeRequestHead(withRequest({ headers })))).toBe('BOLT_ERR_BAD_HEAD');
      expect(codeOf(() => decodeResponseHead(withResponse({ headers })))).toBe('BOLT_ERR_BAD_HEAD');
    }
  });

  it('refuse a name that is not a token', () => {
    for (const name of ['', 'x a', 'x:a', 'x\r\na', 'x\0', 'ü', '(x)', 'x/y', 'x"']) {
      expect(codeOf(() => decodeRequestHead(withRequest({ headers: [name, 'v'] })))).toBe(
        'BOLT_ERR_BAD_HEAD',
      );
      expect(codeOf(() => decodeResponseHead(withResponse({ headers: [name, 'v'] })))).toBe(
        'BOLT_ERR_BAD_HEAD',
      );
    }
  });

  it('refuse a value holding CR, LF or NUL', () => {
    for (const value of ['a\r\nx-injected: 1', 'a\rb', 'a\nb', 'a\0b', '\n']) {
      expect(codeOf(() => decodeRequestHead(withRequest({ headers: ['x', value] })))).toBe(
        'BOLT_ERR_BAD_HEAD',
      );
      expect(codeOf(() => decodeResponseHead(withResponse({ headers: ['x', value] })))).toBe(
        'BOLT_ERR_BAD_HEAD',
      );
    }
  });

  it(`take ${Limits.maxHeaderFields} fields and refuse more with FrameSize`, () => {
    const many = (count: number) => Array.from({ length: count }, (_, i) => [`x-${i}`, `${i}`]).flat();
    expect(decodeRequestHead(withRequest({ headers: many(Limits.maxHeaderFields) })).headers).toHaveLength(
      Limits.maxHeaderFields * 2,
    );
    expect(codeOf(() => decodeRequestHead(withRequest({ headers: many(Limits.maxHeaderFields + 1) })))).toBe(
      'BOLT_ERR_TOO_MANY_HEADERS',
    );
    expect(
      codeOf(() => decodeResponseHead(withResponse({ headers: many(Limits.maxHeaderFields + 1) }))),
    ).toBe('BOLT_ERR_TOO_MANY_HEADERS');
  });

  // Regression: this was once broken in src/bolt/protocol/heads.ts, FIELD_VALUE.
  it('refuse a value holding other control characters or characters above U+00FF', () => {
    for (const value of ['a\u0001b', 'a\u001fb', 'a\u007fb', 'a\u000bb', '€', '😀']) {
      expect(codeOf(() => decodeRequestHead(withRequest({ headers: ['x', value] })))).toBe(
        'BOLT_ERR_BAD_HEAD',
      );
      expect(codeOf(() => decodeResponseHead(withResponse({ headers: ['x', value] })))).toBe(
        'BOLT_ERR_BAD_HEAD',
      );
    }
  });

  // Regression: this was once broken in src/bolt/protocol/heads.ts, decodeRequestHead.
  it('refuse a path holding spaces or control characters', () => {
    for (const path of ['/a b', '/a\tb', '/a\u0001b', '/\u007f']) {
      expect(codeOf(() => decodeRequestHead(withRequest({ path })))).toBe('BOLT_ERR_BAD_HEAD');
    }
  });
});

describe('__proto__ keys', () => {
  afterEach(() => {
    Reflect.deleteProperty(Object.prototype, 'polluted');
  });

  it('are plain data: they neither pollute Object.prototype nor supply missing fields', () => {
    const hello = decodeHello(text('{"v":1,"ports":[80],"__proto__":{"polluted":true,"agent":"x"}}'));
    expect(hello).toEqual({ v: 1, ports: [80] });
    expect(Object.getPrototypeOf(hello)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    expect(codeOf(() => decodeHello(text('{"__proto__":{"v":1,"ports":[80]}}')))).toBe(
      'BOLT_ERR_UNSUPPORTED_VERSION',
    );
    const head =
      '{"__proto__":{"port":80,"method":"GET","path":"/","headers":[]},"constructor":{"prototype":{}}}';
    expect(codeOf(() => decodeRequestHead(text(head)))).toBe('BOLT_ERR_BAD_HEAD');
    expect(codeOf(() => decodeResponseHead(text('{"__proto__":{"status":200,"headers":[]}}')))).toBe(
      'BOLT_ERR_BAD_HEAD',
    );

    const withProto = decodeRequestHead(
      text('{"port":80,"method":"GET","path":"/","headers":["__proto__","x"]}'),
    );
    expect(withProto.headers).toEqual(['__proto__', 'x']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

const chars = (codes: readonly [number, number][]): fc.Arbitrary<string> =>
  fc.oneof(...codes.map(([min, max]) => fc.integer({ min, max }).map((code) => String.fromCharCode(code))));
const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const token = (maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength });
/** Tab, visible ASCII, space and obs-text: what a header value may hold. */
const fieldValue = fc.string({
  unit: chars([
    [0x09, 0x09],
    [0x20, 0x7e],
    [0x80, 0xff],
  ]),
});
/** Visible ASCII and obs-text (Latin-1 letters included), the rules for a path. */
const path = fc
  .string({
    unit: chars([
      [0x21, 0x7e],
      [0x80, 0xff],
    ]),
  })
  .map((rest) => `/${rest}`);
const headerList = fc.array(fc.tuple(token(24), fieldValue), { maxLength: 12 }).map((pairs) => pairs.flat());
const port = fc.integer({ min: 1, max: 65535 });
/** Any UTF-16 string, lone surrogates included: JSON carries them escaped. */
const anyText = (maxLength: number) => fc.string({ unit: chars([[0, 0xffff]]), maxLength });

const helloArb = fc.record(
  { v: fc.constant(1 as const), ports: fc.array(port, { maxLength: 20 }), agent: anyText(256) },
  { requiredKeys: ['v', 'ports'] },
);
const requestArb = fc.record({ port, method: token(32), path, headers: headerList });
const responseArb = fc.record({ status: fc.integer({ min: 200, max: 599 }), headers: headerList });

/** Node's own rules, independently of heads.ts: what http would refuse to send. */
function checkHeaders(headers: readonly string[]): void {
  expect(headers.length % 2).toBe(0);
  expect(headers.length).toBeLessThanOrEqual(Limits.maxHeaderFields * 2);
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] ?? '';
    validateHeaderName(name);
    validateHeaderValue(name, headers[i + 1] ?? '');
  }
}

/** What every accepted head must satisfy, whatever the bytes it came from. */
const accepted: Record<string, (payload: Uint8Array) => void> = {
  hello(payload) {
    const hello = decodeHello(payload);
    expect(hello.v).toBe(1);
    expect(hello.ports.length).toBeLessThanOrEqual(Limits.maxPorts);
    expect(new Set(hello.ports).size).toBe(hello.ports.length);
    for (const p of hello.ports) expect(Number.isInteger(p) && p >= 1 && p <= 65535).toBe(true);
    if (hello.agent !== undefined) expect(hello.agent.length).toBeLessThanOrEqual(256);
  },
  request(payload) {
    const head = decodeRequestHead(payload);
    expect(Number.isInteger(head.port) && head.port >= 1 && head.port <= 65535).toBe(true);
    validateHeaderName(head.method);
    expect(head.method.length).toBeLessThanOrEqual(32);
    expect(head.path.startsWith('/')).toBe(true);
    expect(head.path.length).toBeLessThanOrEqual(16 * 1024);
    // Node's http.request refuses a path holding anything outside U+0021-U+00FF.
    for (const char of head.path) expect(char >= '\u0021' && char <= '\u00ff').toBe(true);
    checkHeaders(head.headers);
  },
  response(payload) {
    const head = decodeResponseHead(payload);
    expect(Number.isInteger(head.status) && head.status >= 200 && head.status <= 599).toBe(true);
    checkHeaders(head.headers);
  },
};

/** Runs every decoder on `payload`; each accepts within the rules or throws ProtocolError only. */
function decodeAll(payload: Uint8Array): number {
  let accepts = 0;
  for (const check of Object.values(accepted)) {
    try {
      check(payload);
      accepts++;
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
    }
  }
  return accepts;
}

const KEYS = ['v', 'ports', 'agent', 'port', 'method', 'path', 'headers', 'status', '__proto__', 'toString'];
const tricky = fc.constantFrom<unknown>(
  '',
  '/a b',
  'a\r\nb',
  '\0',
  'é€😀',
  '\ud800',
  '__proto__',
  0,
  -1,
  0.5,
  65536,
  101,
  1e21,
  Number.MAX_SAFE_INTEGER + 2,
  ['x', 'a\u0001b'],
  ['é', 'v'],
  { polluted: true },
);
/** A valid head with one field (possibly `__proto__`, as an own key) set to anything. */
const nearlyValid = fc
  .tuple(
    fc.oneof(helloArb, requestArb, responseArb),
    fc.constantFrom(...KEYS),
    fc.oneof(fc.jsonValue(), tricky),
  )
  .map(([head, key, value]) => {
    const copy: Record<string, unknown> = { ...head };
    Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
    return json(copy);
  });

describe('properties (fast-check)', () => {
  afterEach(() => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('heads round-trip: arbitrary header lists, Latin-1 paths, any agent text', () => {
    fc.assert(
      fc.property(requestArb, responseArb, helloArb, (request, response, hello) => {
        expect(decodeRequestHead(encodeJson(request))).toEqual(request);
        expect(decodeResponseHead(encodeJson(response))).toEqual(response);
        expect(decodeHello(encodeJson(hello))).toEqual({ ...hello, ports: [...new Set(hello.ports)] });
      }),
      { numRuns: 500 },
    );
  });

  it('any JSON, near-valid head, text or bytes: accepted within the rules or a ProtocolError', () => {
    let accepts = 0;
    const payloads = fc.oneof(
      fc.jsonValue().map(json),
      nearlyValid,
      anyText(64).map(text),
      fc.uint8Array({ maxLength: 64 }),
    );
    fc.assert(
      fc.property(payloads, (payload) => {
        accepts += decodeAll(payload);
      }),
      { numRuns: 3000 },
    );
    // Not vacuous: the near-valid heads are often still valid.
    expect(accepts).toBeGreaterThan(100);
  });
});
