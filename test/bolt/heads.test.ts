/**
 * The JSON heads (Hello, Request, Response): what decodes, every field that is refused, and seeded
 * fuzzing with random JSON so a failure reproduces from its seed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/bolt/protocol/codec.js';
import { ErrorCode, Limits } from '../../src/bolt/protocol/frames.js';
import {
  decodeHello,
  decodeRequestHead,
  decodeResponseHead,
  encodeJson,
} from '../../src/bolt/protocol/heads.js';
import { mulberry32 } from '../helpers/prng.js';
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
    expect(codeOf(() => decodeHello(json({ v: 1, ports })))).toBe(ErrorCode.Protocol);
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
      expect(codeOf(() => decodeHello(payload))).toBe(ErrorCode.Protocol);
    }
  });

  it('refuses any version but 1', () => {
    for (const v of [0, 2, '1', 1.5, null, true, [1]]) {
      expect(codeOf(() => decodeHello(json({ v, ports: [80] })))).toBe(ErrorCode.Protocol);
    }
    expect(codeOf(() => decodeHello(json({ ports: [80] })))).toBe(ErrorCode.Protocol);
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
      expect(codeOf(() => decodeHello(json({ v: 1, ports })))).toBe(ErrorCode.Protocol);
    }
  });

  it('refuses an agent name that is not a string or longer than 256 characters', () => {
    expect(decodeHello(json({ v: 1, ports: [], agent: 'a'.repeat(256) })).agent).toHaveLength(256);
    for (const agent of [1, null, ['a'], { name: 'a' }, 'a'.repeat(257)]) {
      expect(codeOf(() => decodeHello(json({ v: 1, ports: [], agent })))).toBe(ErrorCode.Protocol);
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
      expect(codeOf(() => decodeRequestHead(payload))).toBe(ErrorCode.Protocol);
    }
  });

  it('refuses a port out of range, not an integer, or missing', () => {
    for (const port of [0, 65536, -80, 80.5, '80', null, undefined, [80]]) {
      expect(codeOf(() => decodeRequestHead(withRequest({ port })))).toBe(ErrorCode.Protocol);
    }
  });

  it('takes a method of 1-32 token characters and nothing else', () => {
    expect(decodeRequestHead(withRequest({ method: 'X'.repeat(32) })).method).toHaveLength(32);
    for (const method of ['', 'GE T', 'GET\r\n', 'GÉT', 'GET/', '(GET)', 'X'.repeat(33), 7, null, ['GET']]) {
      expect(codeOf(() => decodeRequestHead(withRequest({ method })))).toBe(ErrorCode.Protocol);
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
      expect(codeOf(() => decodeRequestHead(withRequest({ path })))).toBe(ErrorCode.Protocol);
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
      expect(codeOf(() => decodeResponseHead(withResponse({ status })))).toBe(ErrorCode.Protocol);
    }
  });

  it('refuses what is not a JSON object', () => {
    for (const payload of [text('HTTP/1.1 200 OK'), text('[200]'), text('')]) {
      expect(codeOf(() => decodeResponseHead(payload))).toBe(ErrorCode.Protocol);
    }
  });

  // Regression: this was once broken in src/bolt/protocol/heads.ts, decodeResponseHead.
  it('refuses 1xx interim statuses, which the tower cannot answer with', () => {
    for (const status of [100, 102, 103, 199]) {
      expect(codeOf(() => decodeResponseHead(withResponse({ status })))).toBe(ErrorCode.Protocol);
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
      expect(codeOf(() => decodeRequestHead(withRequest({ headers })))).toBe(ErrorCode.Protocol);
      expect(codeOf(() => decodeResponseHead(withResponse({ headers })))).toBe(ErrorCode.Protocol);
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
      expect(codeOf(() => decodeRequestHead(withRequest({ headers })))).toBe(ErrorCode.Protocol);
      expect(codeOf(() => decodeResponseHead(withResponse({ headers })))).toBe(ErrorCode.Protocol);
    }
  });

  it('refuse a name that is not a token', () => {
    for (const name of ['', 'x a', 'x:a', 'x\r\na', 'x\0', 'ü', '(x)', 'x/y', 'x"']) {
      expect(codeOf(() => decodeRequestHead(withRequest({ headers: [name, 'v'] })))).toBe(ErrorCode.Protocol);
      expect(codeOf(() => decodeResponseHead(withResponse({ headers: [name, 'v'] })))).toBe(
        ErrorCode.Protocol,
      );
    }
  });

  it('refuse a value holding CR, LF or NUL', () => {
    for (const value of ['a\r\nx-injected: 1', 'a\rb', 'a\nb', 'a\0b', '\n']) {
      expect(codeOf(() => decodeRequestHead(withRequest({ headers: ['x', value] })))).toBe(
        ErrorCode.Protocol,
      );
      expect(codeOf(() => decodeResponseHead(withResponse({ headers: ['x', value] })))).toBe(
        ErrorCode.Protocol,
      );
    }
  });

  it(`take ${Limits.maxHeaderFields} fields and refuse more with FrameSize`, () => {
    const many = (count: number) => Array.from({ length: count }, (_, i) => [`x-${i}`, `${i}`]).flat();
    expect(decodeRequestHead(withRequest({ headers: many(Limits.maxHeaderFields) })).headers).toHaveLength(
      Limits.maxHeaderFields * 2,
    );
    expect(codeOf(() => decodeRequestHead(withRequest({ headers: many(Limits.maxHeaderFields + 1) })))).toBe(
      ErrorCode.FrameSize,
    );
    expect(
      codeOf(() => decodeResponseHead(withResponse({ headers: many(Limits.maxHeaderFields + 1) }))),
    ).toBe(ErrorCode.FrameSize);
  });

  // Regression: this was once broken in src/bolt/protocol/heads.ts, FIELD_VALUE.
  it('refuse a value holding other control characters or characters above U+00FF', () => {
    for (const value of ['a\u0001b', 'a\u001fb', 'a\u007fb', 'a\u000bb', '€', '😀']) {
      expect(codeOf(() => decodeRequestHead(withRequest({ headers: ['x', value] })))).toBe(
        ErrorCode.Protocol,
      );
      expect(codeOf(() => decodeResponseHead(withResponse({ headers: ['x', value] })))).toBe(
        ErrorCode.Protocol,
      );
    }
  });

  // Regression: this was once broken in src/bolt/protocol/heads.ts, decodeRequestHead.
  it('refuse a path holding spaces or control characters', () => {
    for (const path of ['/a b', '/a\tb', '/a\u0001b', '/\u007f']) {
      expect(codeOf(() => decodeRequestHead(withRequest({ path })))).toBe(ErrorCode.Protocol);
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

    expect(codeOf(() => decodeHello(text('{"__proto__":{"v":1,"ports":[80]}}')))).toBe(ErrorCode.Protocol);
    const head =
      '{"__proto__":{"port":80,"method":"GET","path":"/","headers":[]},"constructor":{"prototype":{}}}';
    expect(codeOf(() => decodeRequestHead(text(head)))).toBe(ErrorCode.Protocol);
    expect(codeOf(() => decodeResponseHead(text('{"__proto__":{"status":200,"headers":[]}}')))).toBe(
      ErrorCode.Protocol,
    );

    const withProto = decodeRequestHead(
      text('{"port":80,"method":"GET","path":"/","headers":["__proto__","x"]}'),
    );
    expect(withProto.headers).toEqual(['__proto__', 'x']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

const KEYS = [
  'v',
  'ports',
  'agent',
  'port',
  'method',
  'path',
  'headers',
  'status',
  '__proto__',
  'toString',
  'x',
];
const STRINGS = ['', 'GET', '/', '/a b', 'x-a', 'a\r\nb', '\0', 'é€😀', '\ud800', 'constructor', '__proto__'];

function randomJson(random: () => number, depth = 0): unknown {
  const pick = Math.floor(random() * (depth > 3 ? 5 : 8));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2: {
      const choices = [
        0,
        1,
        80,
        65535,
        65536,
        -1,
        0.5,
        1e21,
        100,
        101,
        200,
        599,
        600,
        Number.MAX_SAFE_INTEGER + 2,
      ];
      return random() < 0.7 ? choices[Math.floor(random() * choices.length)] : (random() - 0.5) * 1e6;
    }
    case 3:
      return STRINGS[Math.floor(random() * STRINGS.length)];
    case 4:
      return String.fromCharCode(
        ...Array.from({ length: Math.floor(random() * 8) }, () => random() * 0x3000),
      );
    case 5:
    case 6:
      return Array.from({ length: Math.floor(random() * 6) }, () => randomJson(random, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      const count = Math.floor(random() * 6);
      for (let i = 0; i < count; i++) {
        Object.defineProperty(object, KEYS[Math.floor(random() * KEYS.length)] ?? 'x', {
          value: randomJson(random, depth + 1),
          enumerable: true,
          configurable: true,
          writable: true,
        });
      }
      return object;
    }
  }
}

/** A valid head with one field replaced by a random value, or one random field added. */
function nearlyValid(random: () => number): unknown {
  const base: Record<string, unknown> =
    [{ v: 1, ports: [80, 443], agent: 'a' }, { ...request }, { ...response }][Math.floor(random() * 3)] ?? {};
  Object.defineProperty(base, KEYS[Math.floor(random() * KEYS.length)] ?? 'x', {
    value: randomJson(random, 1),
    enumerable: true,
    configurable: true,
    writable: true,
  });
  return base;
}

describe('fuzzing the head decoders', () => {
  it('never throws anything but ProtocolError on random JSON, near-valid heads and random bytes', () => {
    const seed = 0x4ead0001;
    const random = mulberry32(seed);
    const decoders = [decodeHello, decodeRequestHead, decodeResponseHead];
    let accepted = 0;
    for (let round = 0; round < 6_000; round++) {
      const kind = round % 3;
      let payload: Uint8Array;
      if (kind === 0) payload = json(randomJson(random));
      else if (kind === 1) payload = json(nearlyValid(random));
      else payload = Buffer.from(Array.from({ length: Math.floor(random() * 40) }, () => random() * 256));
      for (const decode of decoders) {
        try {
          decode(payload);
          accepted++;
        } catch (error) {
          if (!(error instanceof ProtocolError)) {
            throw new Error(
              `seed ${seed} round ${round}: ${String(error)} on ${Buffer.from(payload).toString()}`,
            );
          }
        }
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(accepted).toBeGreaterThan(100);
  });
});
