/**
 * The request id taken from a client: kept when short and safe, replaced by a UUID otherwise, and
 * whatever the input, the id that goes on is always one a header and a log line can carry.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isWellFormedRequestId,
  MAX_REQUEST_ID_LENGTH,
  requestIdOf,
  setRequestId,
} from '../../src/api/audit/request-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SAFE_CHARS = 'ABCXYZabcxyz0189._~:@+=/-'.split('');

describe('request ids', () => {
  it('keeps a well-formed incoming id', () => {
    expect(requestIdOf(['Host', 'a', 'X-Request-Id', 'trace-42/abc'])).toBe('trace-42/abc');
  });

  it('mints a UUID when there is none, or it is empty, too long or unsafe', () => {
    expect(requestIdOf([])).toMatch(UUID);
    expect(requestIdOf(['x-request-id', ''])).toMatch(UUID);
    expect(requestIdOf(['x-request-id', 'a'.repeat(MAX_REQUEST_ID_LENGTH + 1)])).toMatch(UUID);
    expect(requestIdOf(['x-request-id', 'a b'])).toMatch(UUID);
    expect(requestIdOf(['x-request-id', '{"json":1}'])).toMatch(UUID);
    expect(requestIdOf(['x-request-id', 'a'.repeat(MAX_REQUEST_ID_LENGTH)])).toBe(
      'a'.repeat(MAX_REQUEST_ID_LENGTH),
    );
  });

  it('leaves one x-request-id field in a header list', () => {
    const headers = ['x-request-id', 'client', 'accept', '*/*', 'X-Request-ID', 'again'];
    setRequestId(headers, 'ours');
    expect(headers).toEqual(['accept', '*/*', 'x-request-id', 'ours']);
  });

  it('never passes on an id outside the safe charset and length (fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (value) => {
        const id = requestIdOf(['x-request-id', value]);
        expect(isWellFormedRequestId(id)).toBe(true);
        expect(id.length).toBeLessThanOrEqual(MAX_REQUEST_ID_LENGTH);
        // Kept exactly when the input (trimmed) was already safe.
        if (isWellFormedRequestId(value.trim())) expect(id).toBe(value.trim());
        else expect(id).toMatch(UUID);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps every id drawn from the safe charset within the limit (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: MAX_REQUEST_ID_LENGTH, unit: fc.constantFrom(...SAFE_CHARS) }),
        (value) => {
          expect(requestIdOf(['X-Request-Id', value])).toBe(value);
        },
      ),
    );
  });
});
