/**
 * fast-check properties of the legacy reply preamble parser: whatever a legacy agent sends as its
 * first data frame, the tower gets a usable head or a `protocol` RelayError, nothing else.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseReplyPreamble, type ReplyHead } from '../../src/legacy/relay-preamble.js';
import { RelayError } from '../../src/link/relay-error.js';

/** Any UTF-16 string, lone surrogates and control characters included. */
const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
/** Node's header map as an agent would send it, with any names and any values. */
const headerMap = fc.dictionary(
  fc.oneof(fc.string(), anyText, fc.constantFrom('content-length', 'connection', '__proto__')),
  fc.oneof(fc.jsonValue(), anyText, fc.array(fc.oneof(anyText, fc.integer()))),
);
const preambleObject = fc.record(
  {
    statusCode: fc.oneof(fc.integer({ min: 100, max: 700 }), fc.jsonValue()),
    headers: fc.oneof(headerMap, fc.jsonValue()),
  },
  { requiredKeys: [] },
);
/** The preamble as sent: double-encoded (a string of JSON), unencoded, or anything at all. */
const payload = fc.oneof(
  preambleObject.map((value) => JSON.stringify(value)),
  preambleObject,
  fc.jsonValue(),
  anyText,
  fc.anything(),
);

function parsed(value: unknown): ReplyHead | undefined {
  try {
    return parseReplyPreamble(value);
  } catch (error) {
    if (error instanceof RelayError && error.code === 'protocol') return undefined;
    throw error;
  }
}

describe('reply preamble properties (fast-check)', () => {
  it('anything an agent sends is a head with a final status and a flat list of strings, or a protocol error', () => {
    let heads = 0;
    fc.assert(
      fc.property(payload, (value) => {
        const head = parsed(value);
        if (!head) return;
        heads++;
        expect(Number.isInteger(head.status) && head.status >= 200 && head.status <= 599).toBe(true);
        expect(head.headers.length % 2).toBe(0);
        for (const field of head.headers) expect(typeof field).toBe('string');
        for (let i = 0; i < head.headers.length; i += 2) {
          validateHeaderName(head.headers[i] ?? '');
          validateHeaderValue(head.headers[i] ?? '', head.headers[i + 1] ?? '');
        }
        expect(head.headers.some((field, i) => i % 2 === 0 && field.toLowerCase() === 'content-length')).toBe(
          false,
        );
      }),
      { numRuns: 2000 },
    );
    expect(heads).toBeGreaterThan(50);
  });

  it('refuses header values Node would not send, as a protocol error', () => {
    for (const value of ['a\u0001b', '\u007f', 'x\u001b[31m', '\u20ac', '😀']) {
      expect(parsed(JSON.stringify({ statusCode: 200, headers: { 'x-bad': value } }))).toBeUndefined();
    }
  });
});
