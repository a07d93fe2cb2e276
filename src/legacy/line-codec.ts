/**
 * mux-demux's wire framing: one JSON value per line, UTF-8, each line ended by "\n". The tower reads
 * UTF-8 and writes pure ASCII.
 *
 * Lines are cut on the newline byte before decoding. 0x0A never occurs inside a multi-byte UTF-8
 * sequence, so decoding each whole line is exactly what a streaming decoder would produce, and a
 * character split across two TLS reads survives (0.4.3 decoded every read on its own and mangled it).
 * It also lets the line limit count bytes and be enforced before a newline ever arrives.
 */
import { LegacyProtocolError } from './legacy-error.js';

const NEWLINE = 0x0a;

export class LineDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Bytes held for a line whose newline has not arrived yet. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Yields the JSON value of every line `chunk` completes, in order. Throws `LegacyProtocolError` at
   * the first line that is not JSON (a blank line included, as in the original) or is too long;
   * after a throw the decoder is unusable, as the connection it served is.
   */
  *push(chunk: Uint8Array): Generator<unknown, void, undefined> {
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (;;) {
      const end = bytes.indexOf(NEWLINE, start);
      if (end === -1) break;
      const tail = bytes.subarray(start, end);
      this.hold(tail.length);
      const line = this.pending.length === 0 ? tail : Buffer.concat([...this.pending, tail]);
      this.pending = [];
      this.pendingBytes = 0;
      start = end + 1;
      yield parseLine(line);
    }
    if (start < bytes.length) {
      const rest = bytes.subarray(start);
      this.hold(rest.length);
      // A copy, so a short remainder does not pin the whole read buffer it came in.
      this.pending.push(Buffer.from(rest));
    }
  }

  private hold(bytes: number): void {
    this.pendingBytes += bytes;
    if (this.pendingBytes > this.maxLineBytes) {
      throw new LegacyProtocolError(
        'LEGACY_ERR_LINE_TOO_LONG',
        `a line passed the ${this.maxLineBytes}-byte limit`,
      );
    }
  }
}

function parseLine(line: Buffer): unknown {
  const text = line.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    const shown = text.length > 40 ? `${JSON.stringify(text.slice(0, 40))}...` : JSON.stringify(text);
    throw new LegacyProtocolError('LEGACY_ERR_INVALID_JSON', `a line is not JSON: ${shown}`);
  }
}

/** Any UTF-16 unit a 0.4.3 agent could get split across two reads: everything past ASCII (and DEL). */
const NON_ASCII = /[\u007f-\uffff]/;
const NON_ASCII_ALL = /[\u007f-\uffff]/g;

const escapeUnit = (unit: string): string => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * One frame as a line, in ASCII only. 0.4.3 never sets UTF-8 decoding on its socket, so its
 * mux-demux decodes each network read on its own and a character split across two reads turns into
 * two U+FFFD; `\uXXXX` escapes (a surrogate pair as two) cannot be split, and its `JSON.parse`
 * restores them. `JSON.stringify` escapes every control character, so the line holds no newline of
 * its own and is never blank; lone surrogates come out escaped, still valid JSON. The regex runs only
 * on a line that needs it: most frames are ASCII already.
 */
export function encodeLine(frame: readonly unknown[]): string {
  const json = JSON.stringify(frame);
  return `${NON_ASCII.test(json) ? json.replace(NON_ASCII_ALL, escapeUnit) : json}\n`;
}
