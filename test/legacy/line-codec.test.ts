/**
 * The line codec and the multiplex under hostile input, with fast-check properties: any bytes, lines
 * and frames raise nothing but `LegacyProtocolError`, the decoder never holds more than its line limit,
 * and however a stream is cut into chunks it gives the same lines (multi-byte characters included).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LegacyProtocolError } from '../../src/legacy/legacy-error.js';
import type { LegacyStream } from '../../src/legacy/legacy-stream.js';
import { encodeLine, LineDecoder } from '../../src/legacy/line-codec.js';
import { MuxDemuxSession } from '../../src/legacy/mux-demux-session.js';

const decodeAll = (decoder: LineDecoder, chunks: Uint8Array[]): unknown[] =>
  chunks.flatMap((chunk) => [...decoder.push(chunk)]);

const thrown = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('line decoder', () => {
  it('keeps multi-byte characters whole at every split point', () => {
    const frame = ['id', 'data', 'naïve café ☃ 𝄞 \u2028 end'];
    const bytes = Buffer.from(encodeLine(frame));
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(decodeAll(new LineDecoder(1024), [bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual([
        frame,
      ]);
    }
    // One byte at a time, too.
    const single = Array.from(bytes, (byte) => Uint8Array.of(byte));
    expect(decodeAll(new LineDecoder(1024), single)).toEqual([frame]);
  });

  it('yields every line a chunk completes, and keeps the rest for the next', () => {
    const decoder = new LineDecoder(1024);
    expect([...decoder.push(Buffer.from('["a","end"]\n["b","e'))]).toEqual([['a', 'end']]);
    expect(decoder.bufferedBytes).toBe(7);
    expect([...decoder.push(Buffer.from('nd"]\n1\n"x"\r\n'))]).toEqual([['b', 'end'], 1, 'x']);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('refuses a blank line, a line of spaces and a line that is not JSON', () => {
    for (const line of ['\n', '   \n', '["a",\n', 'undefined\n', '{"a":1}}\n']) {
      const error = thrown(() => [...new LineDecoder(1024).push(Buffer.from(line))]);
      expect(error, JSON.stringify(line)).toBeInstanceOf(LegacyProtocolError);
      expect((error as LegacyProtocolError).code).toBe('LEGACY_ERR_INVALID_JSON');
    }
  });

  it('holds a line up to the limit and refuses one byte more, newline or not', () => {
    const exact = `"${'x'.repeat(98)}"`; // 100 bytes
    expect([...new LineDecoder(100).push(Buffer.from(`${exact}\n`))]).toEqual(['x'.repeat(98)]);
    const decoder = new LineDecoder(100);
    expect([...decoder.push(Buffer.from('x'.repeat(60)))]).toEqual([]);
    expect((thrown(() => [...decoder.push(Buffer.from('x'.repeat(41)))]) as LegacyProtocolError).code).toBe(
      'LEGACY_ERR_LINE_TOO_LONG',
    );
    expect(
      (
        thrown(() => [
          ...new LineDecoder(100).push(Buffer.from(`"${'y'.repeat(99)}"\n`)),
        ]) as LegacyProtocolError
      ).code,
    ).toBe('LEGACY_ERR_LINE_TOO_LONG');
  });
});

/** Any UTF-16 string, lone surrogates and control characters included. */
const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
/** A frame as mux-demux sends them: an id, an event, and any JSON (strings of any UTF-16 at the leaves). */
const frameArb = fc.tuple(anyText, anyText, fc.oneof(fc.jsonValue(), anyText));
/** Bytes that look like the protocol about half the time: brackets, quotes, escapes, newlines. */
const ALPHABET = [
  '[',
  ']',
  '"',
  ',',
  '\n',
  '\\',
  '{',
  '}',
  ':',
  'new',
  'data',
  '1',
  ' ',
  '\u00e9',
  '\ud83d\ude00',
];
const chunkArb = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.array(fc.constantFrom(...ALPHABET), { maxLength: 16 }).map((parts) => Buffer.from(parts.join(''))),
  frameArb.map((frame) => Buffer.from(encodeLine(frame))),
);

/** Cuts `bytes` at the given points (taken modulo its length), in order, possibly into empty chunks. */
function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = cuts.map((cut) => (bytes.length === 0 ? 0 : cut % (bytes.length + 1))).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  return chunks;
}

/** Every value the chunks give, then the code of the error that stopped the decoder, if any. */
function outcome(maxLine: number, chunks: readonly Uint8Array[]): { values: unknown[]; error?: string } {
  const decoder = new LineDecoder(maxLine);
  const values: unknown[] = [];
  try {
    for (const chunk of chunks) {
      for (const value of decoder.push(chunk)) {
        values.push(value);
        expect(decoder.bufferedBytes).toBeLessThanOrEqual(maxLine);
      }
      expect(decoder.bufferedBytes).toBeLessThanOrEqual(maxLine);
    }
  } catch (error) {
    if (!(error instanceof LegacyProtocolError)) throw error;
    return { values, error: error.code };
  }
  return { values };
}

describe('line decoder properties (fast-check)', () => {
  it('encodes any frame as one line that decodes back to it', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const line = encodeLine(frame);
        expect(line.indexOf('\n')).toBe(line.length - 1);
        expect(line.trim().length).toBeGreaterThan(0);
        const [decoded, ...rest] = [...new LineDecoder(1 << 20).push(Buffer.from(line))];
        expect(rest).toHaveLength(0);
        // What JSON can carry (-0 comes back as 0); lone surrogates come back, escaped on the wire.
        expect(decoded).toEqual(JSON.parse(JSON.stringify(frame)));
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same lines, however a stream of encoded frames is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (frames, cuts) => {
          const stream = Buffer.from(frames.map(encodeLine).join(''));
          expect(outcome(1 << 20, split(stream, cuts))).toEqual({
            values: JSON.parse(JSON.stringify(frames)),
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('on any bytes: the same lines and the same error however they are cut, never more than the limit held', () => {
    fc.assert(
      fc.property(
        fc.array(chunkArb, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.integer({ min: 1, max: 256 }),
        (chunks, cuts, maxLine) => {
          const stream = Buffer.concat(chunks);
          const whole = outcome(maxLine, [stream]);
          expect(outcome(maxLine, chunks)).toEqual(whole);
          expect(outcome(maxLine, split(stream, cuts))).toEqual(whole);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('multiplex under random frames (fast-check)', () => {
  const events = ['new', 'data', 'end', 'close', 'pause', 'resume', 'error', 'bogus', '__proto__'];
  const ids = ['a', 'b', 'c', '__proto__', 'constructor', 'toString', ''];
  const values = fc.constantFrom<unknown>(
    null,
    1,
    'x',
    [],
    {},
    { meta: 'capability' },
    { meta: 'relay:1', opts: { writable: false } },
    { message: 'boom' },
  );
  const received = fc.oneof(
    { weight: 1, arbitrary: values },
    { weight: 9, arbitrary: fc.tuple(fc.constantFrom(...ids), fc.constantFrom(...events), values) },
  );

  it('raises only its own error, and sends only well-formed frames', () => {
    fc.assert(
      fc.property(
        fc.array(received, { maxLength: 200 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
        (frames, endOnAccept) => {
          const sent: unknown[][] = [];
          let accepts = 0;
          const session = new MuxDemuxSession({
            maxOpenStreams: 8,
            maxPeerStreams: 12,
            send: (frame) => sent.push(frame),
            accept: (stream: LegacyStream) => {
              if (endOnAccept[accepts++ % endOnAccept.length]) stream.end();
            },
          });
          const mine = session.open('relay:1', { writable: true, readable: true }, true);
          if (mine) mine.listener = { data: () => mine.write('more') };
          for (const value of frames) {
            const error = thrown(() => session.receive(value));
            if (error === undefined) continue;
            expect(error).toBeInstanceOf(LegacyProtocolError);
            expect((error as LegacyProtocolError).code).toBe('LEGACY_ERR_TOO_MANY_STREAMS');
            break;
          }
          session.lost();
          for (const frame of sent) {
            expect(typeof frame[0]).toBe('string');
            expect(['new', 'data', 'end', 'close', 'pause', 'resume']).toContain(frame[1]);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
