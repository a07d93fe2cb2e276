/**
 * The line codec and the multiplex under hostile input: seeded random bytes, lines and frames never
 * raise anything but `LegacyProtocolError`, and multi-byte characters survive any split.
 */
import { describe, expect, it } from 'vitest';
import { LegacyProtocolError } from '../../src/legacy/legacy-error.js';
import type { LegacyStream } from '../../src/legacy/legacy-stream.js';
import { encodeLine, LineDecoder } from '../../src/legacy/line-codec.js';
import { MuxDemuxSession } from '../../src/legacy/mux-demux-session.js';
import { mulberry32 } from '../helpers/prng.js';

const random = mulberry32;

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
      expect((error as LegacyProtocolError).code).toBe('invalid-json');
    }
  });

  it('holds a line up to the limit and refuses one byte more, newline or not', () => {
    const exact = `"${'x'.repeat(98)}"`; // 100 bytes
    expect([...new LineDecoder(100).push(Buffer.from(`${exact}\n`))]).toEqual(['x'.repeat(98)]);
    const decoder = new LineDecoder(100);
    expect([...decoder.push(Buffer.from('x'.repeat(60)))]).toEqual([]);
    expect((thrown(() => [...decoder.push(Buffer.from('x'.repeat(41)))]) as LegacyProtocolError).code).toBe(
      'line-too-long',
    );
    expect(
      (
        thrown(() => [
          ...new LineDecoder(100).push(Buffer.from(`"${'y'.repeat(99)}"\n`)),
        ]) as LegacyProtocolError
      ).code,
    ).toBe('line-too-long');
  });

  it('encodes frames as one line each, whatever the strings hold', () => {
    const next = random(7);
    for (let i = 0; i < 500; i++) {
      const text = String.fromCharCode(
        ...Array.from({ length: 1 + Math.floor(next() * 20) }, () => Math.floor(next() * 0xffff)),
      );
      const line = encodeLine(['id', 'data', text]);
      expect(line.indexOf('\n')).toBe(line.length - 1);
      expect(line.trim().length).toBeGreaterThan(0);
      const [decoded] = [...new LineDecoder(1024).push(Buffer.from(line))];
      // Even lone surrogates come back: JSON.stringify escapes them, so the line stays ASCII there.
      expect(decoded).toEqual(['id', 'data', text]);
    }
  });

  it('raises only its own error on random bytes (seeded)', () => {
    const next = random(1234);
    const alphabet = [
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
      'close',
      '1',
      ' ',
      '\u00e9',
      '\ud83d\ude00',
    ];
    for (let round = 0; round < 300; round++) {
      const decoder = new LineDecoder(256);
      for (let c = 0; c < 20; c++) {
        const chunk =
          next() < 0.5
            ? Buffer.from(Array.from({ length: Math.floor(next() * 64) }, () => Math.floor(next() * 256)))
            : Buffer.from(
                Array.from(
                  { length: Math.floor(next() * 16) },
                  () => alphabet[Math.floor(next() * alphabet.length)],
                ).join(''),
              );
        const error = thrown(() => [...decoder.push(chunk)]);
        if (error === undefined) continue;
        expect(error).toBeInstanceOf(LegacyProtocolError);
        break;
      }
    }
  });
});

describe('multiplex under random frames', () => {
  it('raises only its own error, and sends only well-formed frames (seeded)', () => {
    const events = ['new', 'data', 'end', 'close', 'pause', 'resume', 'error', 'bogus', '__proto__'];
    const ids = ['a', 'b', 'c', '__proto__', 'constructor', 'toString', ''];
    const values: unknown[] = [
      null,
      1,
      'x',
      [],
      {},
      { meta: 'capability' },
      { meta: 'relay:1', opts: { writable: false } },
      { message: 'boom' },
    ];
    for (let seed = 1; seed <= 40; seed++) {
      const next = random(seed);
      const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
      const sent: unknown[][] = [];
      const accepted: LegacyStream[] = [];
      const session = new MuxDemuxSession({
        maxOpenStreams: 8,
        maxPeerStreams: 12,
        send: (frame) => sent.push(frame),
        accept: (stream) => {
          accepted.push(stream);
          if (next() < 0.5) stream.end();
        },
      });
      const mine = session.open('relay:1', { writable: true, readable: true }, true);
      if (mine) mine.listener = { data: () => mine.write('more') };
      for (let i = 0; i < 200; i++) {
        const value = next() < 0.1 ? pick(values) : [pick(ids), pick(events), pick(values)];
        const error = thrown(() => session.receive(value));
        if (error === undefined) continue;
        expect(error).toBeInstanceOf(LegacyProtocolError);
        expect((error as LegacyProtocolError).code).toBe('too-many-streams');
        break;
      }
      session.lost();
      for (const frame of sent) {
        expect(typeof frame[0]).toBe('string');
        expect(['new', 'data', 'end', 'close', 'pause', 'resume']).toContain(frame[1]);
      }
      expect(sent.some((frame) => frame[1] === 'error')).toBe(false);
    }
  });
});
