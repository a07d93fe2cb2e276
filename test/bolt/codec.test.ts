/**
 * The frame codec against the grammar in docs/protocol.md: round trips, every rule the strict decoder
 * enforces, and fast-check properties over any bytes (a failure prints its seed and a shrunk input).
 */

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  type EncodedFrame,
  encodeFrame,
  encodeReset,
  encodeWindow,
  joinFrames,
  ProtocolError,
} from '../../src/bolt/protocol/codec.js';
import {
  ErrorCode,
  FLAG_END_STREAM,
  FRAME_HEADER_SIZE,
  type Frame,
  FrameType,
  Limits,
} from '../../src/bolt/protocol/frames.js';
import { protocolErrorCodes } from '../../src/bolt/protocol/protocol-error.js';
import { codeOf } from '../helpers/protocol-error.js';

/** A frame built by hand, independently of the encoder; `declared` lets the length field lie. */
function raw(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = Buffer.alloc(0),
  declared?: number,
) {
  const head = Buffer.alloc(FRAME_HEADER_SIZE);
  head.writeUInt8(type, 0);
  head.writeUInt8(flags, 1);
  head.writeUInt32BE(streamId, 2);
  head.writeUInt32BE(declared ?? payload.length, 6);
  return Buffer.concat([head, payload]);
}

const bytes = (text: string) => Buffer.from(text, 'utf8');
const ALL_TYPES = Object.values(FrameType);
const ZERO_STREAM_TYPES: number[] = [FrameType.Hello, FrameType.Ping, FrameType.Pong];
const STREAM_TYPES: number[] = [
  FrameType.Request,
  FrameType.Response,
  FrameType.Data,
  FrameType.Window,
  FrameType.Reset,
];

/** A payload of the right size for a type that would otherwise decode. */
function validPayload(type: number): Buffer {
  if (type === FrameType.Ping || type === FrameType.Pong) return Buffer.alloc(8, 7);
  if (type === FrameType.Window) return Buffer.from([0, 0, 0x10, 0]);
  if (type === FrameType.Reset) return Buffer.from([0, 6, 0x68, 0x69]);
  return bytes('{}');
}

describe('round trips', () => {
  const ping = Buffer.from('0102030405060708', 'hex');
  const cases: [string, EncodedFrame, Partial<Frame> & { payload?: Uint8Array }][] = [
    ['Hello', encodeFrame(FrameType.Hello, 0, 0, bytes('{"v":1,"ports":[80]}')), { streamId: 0 }],
    ['Ping', encodeFrame(FrameType.Ping, 0, 0, ping), { streamId: 0 }],
    ['Pong', encodeFrame(FrameType.Pong, 0, 0, ping), { streamId: 0 }],
    ['Request', encodeFrame(FrameType.Request, FLAG_END_STREAM, 1, bytes('{"port":80}')), { streamId: 1 }],
    [
      'Response',
      encodeFrame(FrameType.Response, 0, 0xffffffff, bytes('{"status":200}')),
      { streamId: 0xffffffff },
    ],
    ['Data', encodeFrame(FrameType.Data, 0, 7, Buffer.alloc(Limits.maxDataPayload, 0xab)), { streamId: 7 }],
    ['empty Data with END_STREAM', encodeFrame(FrameType.Data, FLAG_END_STREAM, 7), { streamId: 7 }],
  ];
  for (const [name, encoded, expected] of cases) {
    it(`${name} keeps its type, flags, stream id and payload`, () => {
      const [frame, ...rest] = decodeMessage(joinFrames([encoded]));
      expect(rest).toHaveLength(0);
      expect(frame).toMatchObject({ type: encoded[0][0], flags: encoded[0][1], ...expected });
      if (frame && 'payload' in frame)
        expect(Buffer.from(frame.payload)).toEqual(Buffer.from(encoded[1] ?? []));
    });
  }

  it('Window carries its increment, up to 2^31-1', () => {
    for (const increment of [1, 65_536, Limits.maxWindow]) {
      expect(decodeMessage(joinFrames([encodeWindow(3, increment)]))).toEqual([
        { type: FrameType.Window, flags: 0, streamId: 3, increment },
      ]);
    }
  });

  it('Reset carries its code and UTF-8 message, empty or not', () => {
    expect(decodeMessage(joinFrames([encodeReset(9, ErrorCode.Cancel, 'délai dépassé ⏱')]))).toEqual([
      { type: FrameType.Reset, flags: 0, streamId: 9, code: ErrorCode.Cancel, message: 'délai dépassé ⏱' },
    ]);
    expect(decodeMessage(joinFrames([encodeReset(9, ErrorCode.NoError, '')]))).toEqual([
      { type: FrameType.Reset, flags: 0, streamId: 9, code: 0, message: '' },
    ]);
  });

  it('decodes several frames of one message in order, payloads as views into the message', () => {
    const message = joinFrames([
      encodeFrame(FrameType.Request, 0, 1, bytes('{"a":1}')),
      encodeFrame(FrameType.Data, 0, 1, bytes('hello')),
      encodeFrame(FrameType.Data, FLAG_END_STREAM, 1),
      encodeWindow(1, 1024),
      encodeFrame(FrameType.Ping, 0, 0, Buffer.alloc(8)),
      encodeReset(2, ErrorCode.Cancel, 'bye'),
    ]);
    const frames = decodeMessage(message);
    expect(frames.map((frame) => [frame.type, frame.flags, frame.streamId])).toEqual([
      [FrameType.Request, 0, 1],
      [FrameType.Data, 0, 1],
      [FrameType.Data, FLAG_END_STREAM, 1],
      [FrameType.Window, 0, 1],
      [FrameType.Ping, 0, 0],
      [FrameType.Reset, 0, 2],
    ]);
    const data = frames[1];
    expect(data?.type === FrameType.Data && Buffer.from(data.payload).toString()).toBe('hello');
    expect(data?.type === FrameType.Data && data.payload.buffer).toBe(message.buffer);
  });

  it('encodeFrame writes the 10-byte big-endian header', () => {
    const [head, payload] = encodeFrame(FrameType.Data, FLAG_END_STREAM, 0x01020304, bytes('xyz'));
    expect(head.toString('hex')).toBe('0601010203040000' + '0003');
    expect(payload && Buffer.from(payload).toString()).toBe('xyz');
  });
});

describe('violations', () => {
  it('an empty message is a protocol error', () => {
    expect(codeOf(() => decodeMessage(Buffer.alloc(0)))).toBe('BOLT_ERR_EMPTY_MESSAGE');
  });

  it('a truncated header is a protocol error, alone or after a good frame', () => {
    const good = raw(FrameType.Data, 0, 1, bytes('ok'));
    for (let size = 1; size < FRAME_HEADER_SIZE; size++) {
      expect(codeOf(() => decodeMessage(good.subarray(0, size)))).toBe('BOLT_ERR_TRUNCATED_HEADER');
      expect(codeOf(() => decodeMessage(Buffer.concat([good, good.subarray(0, size)])))).toBe(
        'BOLT_ERR_TRUNCATED_HEADER',
      );
    }
  });

  it('a truncated payload is a protocol error', () => {
    expect(codeOf(() => decodeMessage(raw(FrameType.Data, 0, 1, bytes('abc'), 4)))).toBe(
      'BOLT_ERR_TRUNCATED_PAYLOAD',
    );
    expect(codeOf(() => decodeMessage(raw(FrameType.Ping, 0, 0, Buffer.alloc(7), 8)))).toBe(
      'BOLT_ERR_TRUNCATED_PAYLOAD',
    );
  });

  it('an unknown type is a protocol error', () => {
    for (const type of [0x00, 0x09, 0x7f, 0xff]) {
      expect(codeOf(() => decodeMessage(raw(type, 0, 1, bytes('x'))))).toBe('BOLT_ERR_UNKNOWN_FRAME');
    }
  });

  it('allows END_STREAM on Request, Response and Data only, and no other flag anywhere', () => {
    for (const type of ALL_TYPES) {
      const streamId = ZERO_STREAM_TYPES.includes(type) ? 0 : 1;
      const endAllowed = type === FrameType.Request || type === FrameType.Response || type === FrameType.Data;
      expect(codeOf(() => decodeMessage(raw(type, 0, streamId, validPayload(type))))).toBeUndefined();
      expect(codeOf(() => decodeMessage(raw(type, FLAG_END_STREAM, streamId, validPayload(type))))).toBe(
        endAllowed ? undefined : 'BOLT_ERR_BAD_FLAGS',
      );
      for (const flags of [0x02, 0x80, 0xff]) {
        expect(codeOf(() => decodeMessage(raw(type, flags, streamId, validPayload(type))))).toBe(
          'BOLT_ERR_BAD_FLAGS',
        );
      }
    }
  });

  it('puts Hello, Ping and Pong on stream 0 and every other type off it', () => {
    for (const type of ZERO_STREAM_TYPES) {
      expect(codeOf(() => decodeMessage(raw(type, 0, 1, validPayload(type))))).toBe('BOLT_ERR_BAD_STREAM_ID');
    }
    for (const type of STREAM_TYPES) {
      expect(codeOf(() => decodeMessage(raw(type, 0, 0, validPayload(type))))).toBe('BOLT_ERR_BAD_STREAM_ID');
    }
  });

  it('rejects a payload over its type limit with FrameSize, and accepts one at the limit', () => {
    const limits: [number, number, number][] = [
      [FrameType.Hello, 0, Limits.maxHelloSize],
      [FrameType.Request, 1, Limits.maxHeadSize],
      [FrameType.Response, 1, Limits.maxHeadSize],
      [FrameType.Data, 1, Limits.maxDataPayload],
    ];
    for (const [type, streamId, max] of limits) {
      expect(codeOf(() => decodeMessage(raw(type, 0, streamId, Buffer.alloc(max))))).toBeUndefined();
      expect(codeOf(() => decodeMessage(raw(type, 0, streamId, Buffer.alloc(max + 1))))).toBe(
        'BOLT_ERR_FRAME_TOO_LARGE',
      );
    }
    const longReset = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(Limits.maxResetMessage, 0x61)]);
    expect(codeOf(() => decodeMessage(raw(FrameType.Reset, 0, 1, longReset)))).toBeUndefined();
    expect(
      codeOf(() => decodeMessage(raw(FrameType.Reset, 0, 1, Buffer.concat([longReset, bytes('a')])))),
    ).toBe('BOLT_ERR_FRAME_TOO_LARGE');
  });

  it('checks the declared length against the limit before looking for the bytes', () => {
    expect(codeOf(() => decodeMessage(raw(FrameType.Data, 0, 1, Buffer.alloc(0), 0xffffffff)))).toBe(
      'BOLT_ERR_FRAME_TOO_LARGE',
    );
  });

  it('needs exactly 8 bytes in Ping and Pong and exactly 4 in Window', () => {
    for (const type of [FrameType.Ping, FrameType.Pong]) {
      for (const size of [0, 7, 9]) {
        expect(codeOf(() => decodeMessage(raw(type, 0, 0, Buffer.alloc(size))))).toBe(
          'BOLT_ERR_BAD_FRAME_SIZE',
        );
      }
    }
    for (const size of [0, 3, 5]) {
      expect(codeOf(() => decodeMessage(raw(FrameType.Window, 0, 1, Buffer.alloc(size, 1))))).toBe(
        'BOLT_ERR_BAD_FRAME_SIZE',
      );
    }
  });

  it('rejects a Window increment of 0 or above 2^31-1 with FlowControl', () => {
    for (const increment of [0, 0x80000000, 0xffffffff]) {
      expect(codeOf(() => decodeMessage(joinFrames([encodeWindow(1, increment)])))).toBe(
        'BOLT_ERR_BAD_WINDOW_INCREMENT',
      );
    }
  });

  it('rejects a Reset without a code (FrameSize) or with a message that is not UTF-8 (Protocol)', () => {
    expect(codeOf(() => decodeMessage(raw(FrameType.Reset, 0, 1)))).toBe('BOLT_ERR_RESET_TOO_SHORT');
    expect(codeOf(() => decodeMessage(raw(FrameType.Reset, 0, 1, Buffer.from([6]))))).toBe(
      'BOLT_ERR_RESET_TOO_SHORT',
    );
    for (const bad of ['ff', 'c3', 'e282', 'eda080', 'c0af']) {
      const payload = Buffer.concat([Buffer.from([0, 6]), bytes('ok '), Buffer.from(bad, 'hex')]);
      expect(codeOf(() => decodeMessage(raw(FrameType.Reset, 0, 1, payload)))).toBe(
        'BOLT_ERR_RESET_NOT_UTF8',
      );
    }
  });

  it('a bad frame after good ones fails the whole message', () => {
    const message = Buffer.concat([
      raw(FrameType.Data, 0, 1, bytes('ok')),
      raw(FrameType.Hello, 0, 3, bytes('{}')),
    ]);
    expect(codeOf(() => decodeMessage(message))).toBe('BOLT_ERR_BAD_STREAM_ID');
  });
});

describe('error codes', () => {
  it('each names the wire code the bolt closes with', () => {
    const wire = (code: (typeof protocolErrorCodes)[number]) => new ProtocolError(code, 'x').wireCode;
    expect(wire('BOLT_ERR_UNKNOWN_FRAME')).toBe(ErrorCode.Protocol);
    expect(wire('BOLT_ERR_FRAME_TOO_LARGE')).toBe(ErrorCode.FrameSize);
    expect(wire('BOLT_ERR_BAD_WINDOW_INCREMENT')).toBe(ErrorCode.FlowControl);
    expect(wire('BOLT_ERR_TOO_MANY_HEADERS')).toBe(ErrorCode.FrameSize);
  });

  it('are all listed in docs/protocol.md', () => {
    const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
    for (const code of protocolErrorCodes) expect(doc, code).toContain(`\`${code}\``);
  });
});

describe('encodeReset', () => {
  for (const [name, unit] of [
    ['2-byte', 'é'],
    ['3-byte', '€'],
    ['4-byte', '😀'],
  ] as const) {
    it(`cuts a long message of ${name} characters to at most ${Limits.maxResetMessage} bytes of valid UTF-8`, () => {
      const long = `x${unit.repeat(2000)}`;
      const [frame] = decodeMessage(joinFrames([encodeReset(1, ErrorCode.UpstreamFailed, long)]));
      expect(frame?.type).toBe(FrameType.Reset);
      if (frame?.type !== FrameType.Reset) return;
      expect(frame.code).toBe(ErrorCode.UpstreamFailed);
      expect(Buffer.byteLength(frame.message)).toBeLessThanOrEqual(Limits.maxResetMessage);
      expect(Buffer.byteLength(frame.message)).toBeGreaterThan(Limits.maxResetMessage - 4);
      expect(long.startsWith(frame.message)).toBe(true);
    });
  }

  // Regression (found by the round-trip property): a message's own trailing U+FFFD was taken for
  // the remains of a cut character and dropped, even from a message that was not cut.
  it('keeps a U+FFFD the message holds, at the end or at the cut', () => {
    for (const text of ['\uFFFD', 'abc\uFFFD\uFFFD', `${'a'.repeat(Limits.maxResetMessage - 3)}\uFFFD`]) {
      const [frame] = decodeMessage(joinFrames([encodeReset(1, ErrorCode.NoError, text)]));
      expect(frame?.type === FrameType.Reset && frame.message).toBe(text);
    }
    const cut = `${'a'.repeat(Limits.maxResetMessage - 2)}\uFFFD`;
    const [frame] = decodeMessage(joinFrames([encodeReset(1, ErrorCode.NoError, cut)]));
    expect(frame?.type === FrameType.Reset && frame.message).toBe('a'.repeat(Limits.maxResetMessage - 2));
  });

  it('keeps a message that fits untouched', () => {
    const text = 'a'.repeat(Limits.maxResetMessage);
    const [frame] = decodeMessage(joinFrames([encodeReset(1, ErrorCode.Cancel, text)]));
    expect(frame?.type === FrameType.Reset && frame.message).toBe(text);
  });
});

/** Re-encodes decoded frames by hand; decoding then encoding must give back the input bytes. */
function reencode(frames: Frame[]): Buffer {
  return Buffer.concat(
    frames.map((frame) => {
      if (frame.type === FrameType.Window) {
        const payload = Buffer.alloc(4);
        payload.writeUInt32BE(frame.increment);
        return raw(frame.type, frame.flags, frame.streamId, payload);
      }
      if (frame.type === FrameType.Reset) {
        const payload = Buffer.concat([
          Buffer.from([frame.code >> 8, frame.code & 0xff]),
          bytes(frame.message),
        ]);
        return raw(frame.type, frame.flags, frame.streamId, payload);
      }
      return raw(frame.type, frame.flags, frame.streamId, frame.payload);
    }),
  );
}

const KNOWN_CODES = new Set<string>(protocolErrorCodes);
const PAYLOAD_LIMIT: Record<number, number> = {
  [FrameType.Hello]: Limits.maxHelloSize,
  [FrameType.Ping]: 8,
  [FrameType.Pong]: 8,
  [FrameType.Request]: Limits.maxHeadSize,
  [FrameType.Response]: Limits.maxHeadSize,
  [FrameType.Data]: Limits.maxDataPayload,
};

/**
 * What decoding any bytes must satisfy: it throws a coded ProtocolError and nothing else, or every
 * payload is a view into the input (so nothing is copied or allocated for it) within its type's
 * limit, and encoding the frames again gives back exactly the input.
 */
function checkDecode(input: Buffer): 'decoded' | 'refused' {
  let frames: Frame[];
  try {
    frames = decodeMessage(input);
  } catch (error) {
    if (error instanceof ProtocolError && KNOWN_CODES.has(error.code)) return 'refused';
    throw error;
  }
  const start = input.byteOffset;
  const end = input.byteOffset + input.length;
  for (const frame of frames) {
    if (frame.type === FrameType.Reset) {
      expect(Buffer.byteLength(frame.message)).toBeLessThanOrEqual(Limits.maxResetMessage);
      continue;
    }
    if (!('payload' in frame)) continue;
    expect(frame.payload.byteLength).toBeLessThanOrEqual(PAYLOAD_LIMIT[frame.type] ?? 0);
    expect(frame.payload.buffer).toBe(input.buffer);
    expect(frame.payload.byteOffset).toBeGreaterThanOrEqual(start);
    expect(frame.payload.byteOffset + frame.payload.byteLength).toBeLessThanOrEqual(end);
  }
  expect(reencode(frames).equals(input)).toBe(true);
  return 'decoded';
}

/** A frame as sent and as it must decode. */
interface Sample {
  readonly encoded: EncodedFrame;
  readonly frame: Frame;
}

const streamId = fc.integer({ min: 1, max: 0xffffffff });
const endFlag = fc.constantFrom(0, FLAG_END_STREAM);
const payload = (maxLength: number) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
const headType = fc.constantFrom(FrameType.Request, FrameType.Response, FrameType.Data);
/** Any code point, with the ones UTF-8 handling trips on (multi-byte, U+FFFD) often. */
const codePoint = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  fc.constantFrom('a', 'é', '€', '😀', '\uFFFD'),
);
/** Any text whose UTF-8 form fits a Reset message: at most 4 bytes per code point. */
const resetText = fc.string({ unit: codePoint, maxLength: Limits.maxResetMessage / 4 });
const errorCode = fc.constantFrom(...Object.values(ErrorCode));

const sample: fc.Arbitrary<Sample> = fc.oneof(
  payload(64).map((p) => ({
    encoded: encodeFrame(FrameType.Hello, 0, 0, p),
    frame: { type: FrameType.Hello, flags: 0, streamId: 0, payload: p },
  })),
  fc
    .tuple(fc.constantFrom(FrameType.Ping, FrameType.Pong), fc.uint8Array({ minLength: 8, maxLength: 8 }))
    .map(([type, p]) => ({
      encoded: encodeFrame(type, 0, 0, p),
      frame: { type, flags: 0, streamId: 0, payload: Buffer.from(p) },
    })),
  fc.tuple(headType, endFlag, streamId, payload(64)).map(([type, flags, id, p]) => ({
    encoded: encodeFrame(type, flags, id, p),
    frame: { type, flags, streamId: id, payload: p },
  })),
  fc.tuple(streamId, fc.integer({ min: 1, max: Limits.maxWindow })).map(([id, increment]) => ({
    encoded: encodeWindow(id, increment),
    frame: { type: FrameType.Window, flags: 0, streamId: id, increment },
  })),
  fc.tuple(streamId, errorCode, resetText).map(([id, code, message]) => ({
    encoded: encodeReset(id, code, message),
    frame: { type: FrameType.Reset, flags: 0, streamId: id, code, message },
  })),
);
const samples = fc.array(sample, { minLength: 1, maxLength: 6 });

/** Bytes around the input, so a decoder that forgets the view's offset reads the wrong bytes. */
const padding = fc.nat({ max: 16 });
const inView = (input: Uint8Array, before: number, after: number): Buffer => {
  const whole = Buffer.alloc(before + input.length + after, 0xee);
  whole.set(input, before);
  return whole.subarray(before, before + input.length);
};

/** Random bytes whose header has a plausible type, flags and length, to get past the first checks. */
const frameShaped = fc
  .tuple(
    fc.integer({ min: 1, max: 8 }),
    fc.constantFrom(0, 0, 0, 1),
    fc.nat({ max: 3 }),
    fc.uint8Array({ maxLength: 190 }),
    fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: -3, max: 3 })),
  )
  .map(([type, flags, id, rest, lie]) => {
    const head = Buffer.alloc(FRAME_HEADER_SIZE);
    head.writeUInt8(type, 0);
    head.writeUInt8(flags, 1);
    head.writeUInt32BE(type <= FrameType.Pong ? 0 : id, 2);
    head.writeUInt32BE(Math.max(0, rest.length + lie), 6);
    return Buffer.concat([head, rest]);
  });

/** One damage done to a valid message; positions are taken modulo its length. */
type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'cut' | 'repeat'; readonly from: number; readonly to: number }
  | { readonly kind: 'length'; readonly value: number }
  | { readonly kind: 'header'; readonly at: number; readonly value: number }
  | { readonly kind: 'append'; readonly tail: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constantFrom('cut' as const, 'repeat' as const), from: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant('length' as const), value: fc.nat({ max: 0xffffffff }) }),
  fc.record({ kind: fc.constant('header' as const), at: fc.nat({ max: 9 }), value: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('append' as const), tail: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
);

function mutate(message: Buffer, change: Mutation): Buffer {
  const out = Buffer.from(message);
  if (out.length === 0) return out;
  switch (change.kind) {
    case 'flip': {
      const at = change.at % out.length;
      out[at] = (out[at] ?? 0) ^ (1 << change.bit);
      return out;
    }
    case 'truncate':
      return out.subarray(0, change.at % out.length);
    case 'cut':
    case 'repeat': {
      const [from, to] = [change.from % out.length, change.to % out.length].sort((a, b) => a - b) as [
        number,
        number,
      ];
      return change.kind === 'cut'
        ? Buffer.concat([out.subarray(0, from), out.subarray(to)])
        : Buffer.concat([out.subarray(0, to), out.subarray(from, to), out.subarray(to)]);
    }
    case 'length':
      if (out.length >= FRAME_HEADER_SIZE) out.writeUInt32BE(change.value, 6);
      return out;
    case 'header':
      out[change.at % out.length] = change.value;
      return out;
    case 'append':
      return Buffer.concat([out, change.tail]);
  }
}

describe('properties (fast-check)', () => {
  it('every frame type round-trips, in any batch, with payloads as views into the message', () => {
    fc.assert(
      fc.property(samples, (batch) => {
        const message = joinFrames(batch.map((s) => s.encoded));
        const frames = decodeMessage(message);
        expect(frames).toEqual(batch.map((s) => s.frame));
        for (const frame of frames) if ('payload' in frame) expect(frame.payload.buffer).toBe(message.buffer);
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary bytes decode to frames within their limits or throw a coded ProtocolError, nothing else', () => {
    let decoded = 0;
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 200 }), frameShaped),
        padding,
        padding,
        (input, a, b) => {
          if (checkDecode(inView(input, a, b)) === 'decoded') decoded++;
        },
      ),
      { numRuns: 3000 },
    );
    // Not vacuous: plenty of inputs get past every check.
    expect(decoded).toBeGreaterThan(100);
  });

  it('valid messages, mutated, decode within limits or throw a coded ProtocolError, nothing else', () => {
    let decoded = 0;
    fc.assert(
      fc.property(
        samples,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        padding,
        (batch, changes, a) => {
          const message = joinFrames(batch.map((s) => s.encoded));
          const mutated = changes.reduce(mutate, message);
          if (checkDecode(inView(mutated, a, 3)) === 'decoded') decoded++;
        },
      ),
      { numRuns: 3000 },
    );
    expect(decoded).toBeGreaterThan(80);
  });

  it('encodeReset sends any text as a prefix of itself in at most the limit of valid UTF-8', () => {
    const long = fc.string({ unit: codePoint, minLength: 200, maxLength: 1200 });
    fc.assert(
      fc.property(fc.oneof(resetText, long), (text) => {
        const [frame] = decodeMessage(joinFrames([encodeReset(1, ErrorCode.Cancel, text)]));
        if (frame?.type !== FrameType.Reset) throw new Error('not a Reset');
        const size = Buffer.byteLength(text);
        expect(text.startsWith(frame.message)).toBe(true);
        expect(Buffer.byteLength(frame.message)).toBeLessThanOrEqual(Limits.maxResetMessage);
        // Cut only when too long, and then by less than one character.
        if (size <= Limits.maxResetMessage) expect(frame.message).toBe(text);
        else expect(Buffer.byteLength(frame.message)).toBeGreaterThan(Limits.maxResetMessage - 4);
      }),
      { numRuns: 500 },
    );
  });
});
