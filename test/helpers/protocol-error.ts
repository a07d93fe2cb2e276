/**
 * For decoder tests: which ProtocolError code a call throws, letting any other exception fail the test.
 */
import { ProtocolError } from '../../src/bolt/protocol/codec.js';

export function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    throw error;
  }
  return undefined;
}
