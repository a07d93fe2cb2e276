/**
 * What crosses a legacy channel as text: port lists, the request preamble (exactly as the original
 * tower wrote it) and the reply preamble (read defensively).
 */
import { describe, expect, it } from 'vitest';
import { parsePorts } from '../../src/legacy/capability-channel.js';
import { parseReplyPreamble, requestPreamble } from '../../src/legacy/relay-preamble.js';
import { RelayError } from '../../src/link/relay-error.js';

describe('capability port lists', () => {
  it('reads decimal ports joined by commas; "" is no ports', () => {
    expect(parsePorts('5000')).toEqual([5000]);
    expect(parsePorts('5000,8000')).toEqual([5000, 8000]);
    expect(parsePorts('')).toEqual([]);
    expect(parsePorts(' 5000 , 8000,junk,0,70000,5000,1e3,-1')).toEqual([5000, 8000]);
    expect(parsePorts(5000)).toEqual([5000]);
    expect(parsePorts([5000, '8000', null])).toEqual([5000, 8000]);
    expect(parsePorts(null)).toEqual([]);
  });
});

describe('request preamble', () => {
  it("is the original tower's poll, byte for byte", () => {
    expect(requestPreamble('GET', '/status', { present: false })).toBe('{"method":"GET","url":"/status"}');
  });

  it('carries a body as data, and always a path', () => {
    expect(requestPreamble('POST', '/packages', { present: true, value: { name: 'x' } })).toBe(
      '{"method":"POST","url":"/packages","data":{"name":"x"}}',
    );
    expect(JSON.parse(requestPreamble('GET', 'relative?q=1', { present: false })).url).toBe('/relative?q=1');
  });
});

describe('reply preamble', () => {
  const parse = (value: unknown) =>
    parseReplyPreamble(typeof value === 'string' ? value : JSON.stringify(value));

  it("reads status and Node's header map, keeping end-to-end fields only", () => {
    expect(
      parse({
        statusCode: 201,
        headers: {
          'content-type': 'application/json',
          'content-length': '12',
          'transfer-encoding': 'chunked',
          connection: 'close, x-private',
          'x-private': 'hop',
          'set-cookie': ['a=1', 'b=2'],
          'x-number': 7,
          'x-object': { no: 'pe' },
        },
      }),
    ).toEqual({
      status: 201,
      localFailure: false,
      headers: [
        'content-type',
        'application/json',
        'set-cookie',
        'a=1',
        'set-cookie',
        'b=2',
        'x-number',
        '7',
      ],
    });
  });

  it('refuses a header field no HTTP response can carry, as a bolt head would be refused', () => {
    for (const headers of [
      { 'bad name': 'x' },
      { 'x-newline': 'a\r\nb' },
      { 'x-control': 'a\u0001b' },
      { 'x-wide': 'snow \u2603' },
      { 'x-list': ['fine', 'a\nb'] },
    ]) {
      expect(() => parse({ statusCode: 200, headers }), JSON.stringify(headers)).toThrow(
        expect.objectContaining({ code: 'protocol' }),
      );
    }
  });

  it("takes the agent's headerless 408 and 500, and an object sent unencoded", () => {
    expect(parse({ statusCode: 408, headers: null })).toEqual({
      status: 408,
      headers: [],
      localFailure: false,
    });
    expect(parseReplyPreamble({ statusCode: 500, headers: null })).toEqual({
      status: 500,
      headers: [],
      localFailure: true,
    });
    // A real 500 from the agent's service has its headers: it is not the agent's own failure.
    expect(parse({ statusCode: 500, headers: {} }).localFailure).toBe(false);
  });

  it('refuses what no HTTP response can be made of', () => {
    for (const bad of [
      'not json',
      '[1]',
      '"text"',
      { headers: {} },
      { statusCode: 99 },
      { statusCode: 600 },
      { statusCode: 200.5 },
    ]) {
      expect(() => parse(bad), JSON.stringify(bad)).toThrow(RelayError);
    }
    expect(() => parse('{')).toThrow(expect.objectContaining({ code: 'protocol' }));
  });
});
