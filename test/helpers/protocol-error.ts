/**
 * For decoder tests: which ProtocolError code a call throws, letting any other exception fail the test.
 */
import { ProtocolError, type ProtocolErrorCode } from '../../src/bolt/protocol/protocol-error.js';

export function codeOf(fn: () => unknown): ProtocolErrorCode | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    throw error;
  }
  return undefined;
}
