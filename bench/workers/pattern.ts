/**
 * The bulk payload: a fixed pseudo-random pattern repeated, so both ends can check every byte of a
 * 100 MB transfer by position with memcmp speed. A hash would do the same job at ~1 GB/s on this
 * kind of machine and would cap the direct baseline; comparing against the known pattern is exact
 * (any byte changed, dropped or repeated shows, unless a whole pattern period is) and far cheaper.
 */

/** A prime length, so no framing size (64 KiB frames, TCP segments) lines up with the period. */
export const PERIOD = 65_521;

function makePattern(): Buffer {
  const bytes = Buffer.alloc(PERIOD);
  let x = 0x2545f491;
  for (let i = 0; i < PERIOD; i++) {
    // xorshift32: deterministic, so every process builds the same pattern.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

export const pattern = makePattern();

/** The pattern 16 times over (~1 MiB): writes of whole blocks keep the offsets in phase. */
export const block = Buffer.concat(Array.from({ length: 16 }, () => pattern));

/** The chunks of a `total`-byte payload, in order. */
export function* payloadChunks(total: number): Generator<Buffer> {
  let left = total;
  while (left > 0) {
    const size = Math.min(left, block.length);
    yield block.subarray(0, size);
    left -= size;
  }
}

/** Checks a stream of bytes against the payload, position by position. */
export class PayloadCheck {
  bytes = 0;
  /** Offset of the first byte that differed, if any. */
  mismatchAt: number | undefined;

  update(chunk: Buffer): void {
    if (this.mismatchAt === undefined) {
      let at = 0;
      while (at < chunk.length) {
        const phase = (this.bytes + at) % PERIOD;
        const n = Math.min(chunk.length - at, PERIOD - phase);
        if (chunk.compare(pattern, phase, phase + n, at, at + n) !== 0) {
          this.mismatchAt = this.bytes + at;
          break;
        }
        at += n;
      }
    }
    this.bytes += chunk.length;
  }

  /** Whether exactly `expected` bytes arrived and all matched. */
  ok(expected: number): boolean {
    return this.mismatchAt === undefined && this.bytes === expected;
  }
}
