/**
 * The frame codec against the grammar in docs/protocol.md: round trips, every rule the strict decoder
 * enforces, and seeded fuzzing so any failure reproduces from its seed.
 */
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
import { mulberry32 } from '../helpers/prng.js';
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
    expect(codeOf(() => decodeMessage(Buffer.alloc(0)))).toBe(ErrorCode.Protocol);
  });

  it('a truncated header is a protocol error, alone or after a good frame', () => {
    const good = raw(FrameType.Data, 0, 1, bytes('ok'));
    for (let size = 1; size < FRAME_HEADER_SIZE; size++) {
      expect(codeOf(() => decodeMessage(good.subarray(0, size)))).toBe(ErrorCode.Protocol);
      expect(codeOf(() => decodeMessage(Buffer.concat([good, good.subarray(0, size)])))).toBe(
        ErrorCode.Protocol,
      );
    }
  });

  it('a truncated payload is a protocol error', () => {
    expect(codeOf(() => decodeMessage(raw(FrameType.Data, 0, 1, bytes('abc'), 4)))).toBe(ErrorCode.Protocol);
    expect(codeOf(() => decodeMessage(raw(FrameType.Ping, 0, 0, Buffer.alloc(7), 8)))).toBe(
      ErrorCode.Protocol,
    );
  });

  it('an unknown type is a protocol error', () => {
    for (const type of [0x00, 0x09, 0x7f, 0xff]) {
      expect(codeOf(() => decodeMessage(raw(type, 0, 1, bytes('x'))))).toBe(ErrorCode.Protocol);
    }
  });

  it('allows END_STREAM on Request, Response and Data only, and no other flag anywhere', () => {
    for (const type of ALL_TYPES) {
      const streamId = ZERO_STREAM_TYPES.includes(type) ? 0 : 1;
      const endAllowed = type === FrameType.Request || type === FrameType.Response || type === FrameType.Data;
      expect(codeOf(() => decodeMessage(raw(type, 0, streamId, validPayload(type))))).toBeUndefined();
      expect(codeOf(() => decodeMessage(raw(type, FLAG_END_STREAM, streamId, validPayload(type))))).toBe(
        endAllowed ? undefined : ErrorCode.Protocol,
      );
      for (const flags of [0x02, 0x80, 0xff]) {
        expect(codeOf(() => decodeMessage(raw(type, flags, streamId, validPayload(type))))).toBe(
          ErrorCode.Protocol,
        );
      }
    }
  });

  it('puts Hello, Ping and Pong on stream 0 and every other type off it', () => {
    for (const type of ZERO_STREAM_TYPES) {
      expect(codeOf(() => decodeMessage(raw(type, 0, 1, validPayload(type))))).toBe(ErrorCode.Protocol);
    }
    for (const type of STREAM_TYPES) {
      expect(codeOf(() => decodeMessage(raw(type, 0, 0, validPayload(type))))).toBe(ErrorCode.Protocol);
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
        ErrorCode.FrameSize,
      );
    }
    const longReset = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(Limits.maxResetMessage, 0x61)]);
    expect(codeOf(() => decodeMessage(raw(FrameType.Reset, 0, 1, longReset)))).toBeUndefined();
    expect(
      codeOf(() => decodeMessage(raw(FrameType.Reset, 0, 1, Buffer.concat([longReset, bytes('a')])))),
    ).toBe(ErrorCode.FrameSize);
  });

  it('checks the declared length against the limit before looking for the bytes', () => {
    expect(codeOf(() => decodeMessage(raw(FrameType.Data, 0, 1, Buffer.alloc(0), 0xffffffff)))).toBe(
      ErrorCode.FrameSize,
    );
  });

  it('needs exactly 8 bytes in Ping and Pong and exactly 4 in Window', () => {
    for (const type of [FrameType.Ping, FrameType.Pong]) {
      for (const size of [0, 7, 9]) {
        expect(codeOf(() => decodeMessage(raw(type, 0, 0, Buffer.alloc(size))))).toBe(ErrorCode.FrameSize);
      }
    }
    for (const size of [0, 3, 5]) {
      expect(codeOf(() => decodeMessage(raw(FrameType.Window, 0, 1, Buffer.alloc(size, 1))))).toBe(
        ErrorCode.FrameSize,
      );
    }
  });

  it('rejects a Window increment of 0 or above 2^31-1 with FlowControl', () => {
    for (const increment of [0, 0x80000000, 0xffffffff]) {
      expect(codeOf(() => decodeMessage(joinFrames([encodeWindow(1, increment)])))).toBe(
        ErrorCode.FlowControl,
      );
    }
  });

  it('rejects a Reset without a code (FrameSize) or with a message that is not UTF-8 (Protocol)', () => {
    expect(codeOf(() => decodeMessage(raw(FrameType.Reset, 0, 1)))).toBe(ErrorCode.FrameSize);
    expect(codeOf(() => decodeMessage(raw(FrameType.Reset, 0, 1, Buffer.from([6]))))).toBe(
      ErrorCode.FrameSize,
    );
    for (const bad of ['ff', 'c3', 'e282', 'eda080', 'c0af']) {
      const payload = Buffer.concat([Buffer.from([0, 6]), bytes('ok '), Buffer.from(bad, 'hex')]);
      expect(codeOf(() => decodeMessage(raw(FrameType.Reset, 0, 1, payload)))).toBe(ErrorCode.Protocol);
    }
  });

  it('a bad frame after good ones fails the whole message', () => {
    const message = Buffer.concat([
      raw(FrameType.Data, 0, 1, bytes('ok')),
      raw(FrameType.Hello, 0, 3, bytes('{}')),
    ]);
    expect(codeOf(() => decodeMessage(message))).toBe(ErrorCode.Protocol);
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

const KNOWN_CODES = new Set<number>(Object.values(ErrorCode));

/** decodeMessage either returns frames within the input or throws ProtocolError; nothing else. */
function checkDecode(input: Buffer, seed: number, round: number): 'ok' | 'error' {
  let frames: Frame[];
  try {
    frames = decodeMessage(input);
  } catch (error) {
    if (error instanceof ProtocolError && KNOWN_CODES.has(error.code)) return 'error';
    throw new Error(`seed ${seed} round ${round}: ${String(error)} on ${input.toString('hex')}`);
  }
  const start = input.byteOffset;
  const end = input.byteOffset + input.length;
  for (const frame of frames) {
    if (!('payload' in frame)) continue;
    const inside =
      frame.payload.buffer === input.buffer &&
      frame.payload.byteOffset >= start &&
      frame.payload.byteOffset + frame.payload.byteLength <= end;
    if (!inside)
      throw new Error(`seed ${seed} round ${round}: payload outside the input ${input.toString('hex')}`);
  }
  if (!reencode(frames).equals(input)) {
    throw new Error(
      `seed ${seed} round ${round}: decode/encode is not the identity on ${input.toString('hex')}`,
    );
  }
  return 'ok';
}

/** A random valid frame, small enough that a message of a few stays within 200-odd bytes. */
function randomFrame(random: () => number): EncodedFrame {
  const pick = Math.floor(random() * 8);
  const streamId = 1 + Math.floor(random() * 5);
  const payload = Buffer.alloc(Math.floor(random() * 24), Math.floor(random() * 256));
  switch (pick) {
    case 0:
      return encodeFrame(FrameType.Hello, 0, 0, payload);
    case 1:
      return encodeFrame(FrameType.Ping, 0, 0, Buffer.alloc(8, streamId));
    case 2:
      return encodeFrame(FrameType.Pong, 0, 0, Buffer.alloc(8, streamId));
    case 3:
      return encodeFrame(FrameType.Request, random() < 0.5 ? FLAG_END_STREAM : 0, streamId, payload);
    case 4:
      return encodeFrame(FrameType.Response, random() < 0.5 ? FLAG_END_STREAM : 0, streamId, payload);
    case 5:
      return encodeFrame(FrameType.Data, random() < 0.5 ? FLAG_END_STREAM : 0, streamId, payload);
    case 6:
      return encodeWindow(streamId, 1 + Math.floor(random() * Limits.maxWindow));
    default:
      return encodeReset(streamId, ErrorCode.Cancel, 'ré'.repeat(Math.floor(random() * 6)));
  }
}

function mutate(message: Buffer, random: () => number): Buffer {
  const out = Buffer.from(message);
  const at = () => Math.floor(random() * out.length);
  switch (Math.floor(random() * 6)) {
    case 0: {
      // flip a few bits
      const flips = 1 + Math.floor(random() * 4);
      for (let i = 0; i < flips; i++) {
        const index = at();
        out[index] = (out[index] ?? 0) ^ (1 << Math.floor(random() * 8));
      }
      return out;
    }
    case 1:
      return out.subarray(0, at());
    case 2: {
      // splice: cut a slice out, or paste a slice of itself somewhere else
      const from = at();
      const to = from + Math.floor(random() * (out.length - from));
      return random() < 0.5
        ? Buffer.concat([out.subarray(0, from), out.subarray(to)])
        : Buffer.concat([out.subarray(0, to), out.subarray(from, to), out.subarray(to)]);
    }
    case 3: {
      // corrupt a length field: the first frame's, to a nearby or a huge value
      const length = out.readUInt32BE(6);
      const lie = random() < 0.5 ? length + Math.floor(random() * 9) - 4 : Math.floor(random() * 0x100000000);
      out.writeUInt32BE(Math.max(0, lie) >>> 0, 6);
      return out;
    }
    case 4: {
      // overwrite one byte of a header with anything
      out[Math.floor(random() * Math.min(out.length, FRAME_HEADER_SIZE))] = Math.floor(random() * 256);
      return out;
    }
    default:
      // random bytes appended
      return Buffer.concat([
        out,
        Buffer.from(Array.from({ length: 1 + Math.floor(random() * 12) }, () => random() * 256)),
      ]);
  }
}

describe('fuzzing the decoder', () => {
  it('never throws anything but ProtocolError on 20,000 random buffers', () => {
    const seed = 0x5eed0001;
    const random = mulberry32(seed);
    let decoded = 0;
    for (let round = 0; round < 20_000; round++) {
      const input = Buffer.alloc(Math.floor(random() * 201));
      for (let i = 0; i < input.length; i++) input[i] = Math.floor(random() * 256);
      // Half the time give the header a plausible type, no flags and a small length, to get past the first checks.
      if (input.length >= FRAME_HEADER_SIZE && random() < 0.5) {
        const type = 1 + Math.floor(random() * 8);
        const remaining = input.length - FRAME_HEADER_SIZE;
        input[0] = type;
        input[1] = random() < 0.8 ? 0 : 1;
        input.writeUInt32BE(type <= FrameType.Pong ? 0 : Math.floor(random() * 4), 2);
        input.writeUInt32BE(random() < 0.5 ? remaining : Math.floor(random() * (remaining + 3)), 6);
      }
      // A view into a larger buffer catches offset mistakes that a fresh buffer would hide.
      const padded = Buffer.concat([Buffer.alloc(7, 0xee), input, Buffer.alloc(5, 0xee)]);
      if (checkDecode(padded.subarray(7, 7 + input.length), seed, round) === 'ok') decoded++;
    }
    expect(decoded).toBeGreaterThan(1000);
  });

  it('never throws anything but ProtocolError on 20,000 mutations of valid messages', () => {
    const seed = 0x5eed0002;
    const random = mulberry32(seed);
    let decoded = 0;
    for (let round = 0; round < 20_000; round++) {
      const frames = Array.from({ length: 1 + Math.floor(random() * 5) }, () => randomFrame(random));
      const message = joinFrames(frames);
      if (round % 100 === 0) expect(checkDecode(message, seed, round)).toBe('ok');
      const mutated = mutate(message, random);
      const padded = Buffer.concat([Buffer.alloc(3), mutated, Buffer.alloc(3)]);
      if (checkDecode(padded.subarray(3, 3 + mutated.length), seed, round) === 'ok') decoded++;
    }
    expect(decoded).toBeGreaterThan(2000);
  });
});
