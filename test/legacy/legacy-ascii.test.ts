/**
 * Non-ASCII text towards a 0.4.3 agent. Its socket has no UTF-8 decoding, so mux-demux decodes every
 * network read on its own: a character split across two reads would become two U+FFFD. The tower's
 * lines are pure ASCII (`\uXXXX` escapes), so nothing can be split. The relay test drives the real
 * mux-demux over TLS with every read cut into 7-byte pieces; the encoder is fuzzed with fast-check.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeLine } from '../../src/legacy/line-codec.js';
import { api, closeAll, service } from '../helpers/harness.js';
import { framesOf, legacyAgent, legacyAnnounced, legacyTower } from './legacy-harness.js';

afterEach(closeAll);

// JSON.stringify escapes control characters, so a line is printable ASCII then its newline.
const ASCII_LINE = /^[\x20-\x7e]*\n$/;

/** A service that answers every request with its body, as it came. */
const echoBody = () =>
  service((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(Buffer.concat(chunks));
    });
  });

/** JSON holding `3000 * copies` plain items, 4 "ü" and an emoji pair in every one. */
function multiBytePayload(count: number) {
  const items = Array.from({ length: count }, (_, id) => ({
    id,
    name: `Grüße üü ${'x'.repeat(82)} ü`,
    tag: id % 10 === 0 ? '😀🎉 ☃' : 'plain',
  }));
  return { items };
}

async function relayThroughSplitReads(items: number, readChunkBytes: number) {
  const port = await echoBody();
  const legacy = await legacyTower();
  const agent = await legacyAgent(legacy, 'alpha', [port], { readChunkBytes });
  await legacyAnnounced(legacy, 'alpha');
  const payload = multiBytePayload(items);
  const text = JSON.stringify(payload);
  const res = await api(legacy.t, `/proxy/alpha@${port}/items`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: text,
  });
  expect(res.status).toBe(200);
  const back = await res.text();
  expect(back.includes('\ufffd')).toBe(false);
  expect(JSON.parse(back)).toEqual(payload);
  // The agent's own parse of the preamble saw the text whole.
  const [opened] = framesOf(agent, 'new', `relay:${port}`);
  const preamble = agent.frames.find((frame) => frame[0] === opened?.[0] && frame[1] === 'data')?.[2];
  expect(JSON.parse(String(preamble))).toEqual({ method: 'POST', url: '/items', data: payload });
  return text;
}

describe('non-ASCII text to a 0.4.3 agent whose reads split characters', () => {
  // mux-demux re-joins and re-splits its whole pending line on every read, so 7-byte reads of a long
  // line cost it quadratic time: they get a short body, and the 400 KB one is read in 1021-byte pieces
  // (a prime, so cuts fall at every offset; hundreds of them land inside a character without the escapes).
  it('takes a body read 7 bytes at a time', async () => {
    const text = await relayThroughSplitReads(100, 7);
    expect(text.match(/ü/g)?.length).toBe(400);
  });

  it('takes 400 KB with 12,000 "ü" and emoji', async () => {
    const text = await relayThroughSplitReads(3000, 1021);
    expect(text.match(/ü/g)?.length).toBe(12_000);
    expect(Buffer.byteLength(text)).toBeGreaterThan(400_000);
  });
});

describe('line encoder', () => {
  it('escapes past ASCII, a surrogate pair as two escapes', () => {
    expect(encodeLine(['a', 'data', 'ü😀\u007f'])).toBe('["a","data","\\u00fc\\ud83d\\ude00\\u007f"]\n');
    expect(encodeLine(['a', 'data', 'plain'])).toBe('["a","data","plain"]\n');
  });

  it('gives an ASCII line that parses back to the same frame, whatever the strings', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string()), {
          maxLength: 6,
        }),
        (frame) => {
          const line = encodeLine(frame);
          expect(line).toMatch(ASCII_LINE);
          expect(JSON.parse(line)).toEqual(frame);
        },
      ),
    );
  });

  it('keeps lone surrogates as they were', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)),
        }),
        (text) => {
          const line = encodeLine([text]);
          expect(line).toMatch(ASCII_LINE);
          expect(JSON.parse(line)).toEqual([text]);
        },
      ),
    );
  });
});
