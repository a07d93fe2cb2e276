/**
 * A hostile or broken peer: whatever it sends closes its own bolt with a coded reason, while the
 * tower, its API and every other bolt go on. Bad targets on the API are refused with the JSON shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decodeMessage, encodeFrame, joinFrames } from '../../src/bolt/protocol/codec.js';
import {
  closeCodeFor,
  ErrorCode,
  FLAG_END_STREAM,
  FrameType,
  Limits,
} from '../../src/bolt/protocol/frames.js';
import type { RunningTower } from '../../src/tower.js';
import {
  type ApiErrorBody,
  agent,
  announced,
  api,
  closeAll,
  eventually,
  rawBolt,
  rawClosed,
  service,
  tower,
} from '../helpers/harness.js';

let t: RunningTower;
let port: number;
let goodDrops = 0;

// One tower and one well-behaved agent for the whole file: each bad peer must leave them alone.
beforeAll(async () => {
  port = await service((req, res) => res.end(`good ${req.url}`));
  t = await tower();
  const good = await agent(t.boltUrl, 'good', [port]);
  good.on('disconnected', () => goodDrops++);
  await announced(t, 'good');
});
afterAll(closeAll);

const PROTOCOL_CLOSE = closeCodeFor(ErrorCode.Protocol);
const head = (value: object) => Buffer.from(JSON.stringify(value));

/** A frame header with any type byte, even one the codec would never write. */
const rawFrame = (type: number, streamId: number, payload: Buffer): Buffer => {
  const header = Buffer.alloc(10);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(streamId, 2);
  header.writeUInt32BE(payload.length, 6);
  return Buffer.concat([header, payload]);
};

const badInputs: [string, Buffer | string, number][] = [
  ['garbage bytes', Buffer.from('GET / HTTP/1.1\r\nthis is not a frame\r\n\r\n'), PROTOCOL_CLOSE],
  ['a text message', 'hello, tower', PROTOCOL_CLOSE],
  ['an oversized message', Buffer.alloc(Limits.maxMessageSize + 1), 1009],
  ['a frame with an unknown type', rawFrame(0x42, 0, Buffer.alloc(0)), PROTOCOL_CLOSE],
  [
    'a Request frame from the agent',
    joinFrames([
      encodeFrame(
        FrameType.Request,
        FLAG_END_STREAM,
        1,
        head({ port: 1234, method: 'GET', path: '/', headers: [] }),
      ),
    ]),
    PROTOCOL_CLOSE,
  ],
  [
    'a Data frame for a stream never opened',
    joinFrames([encodeFrame(FrameType.Data, 0, 7, Buffer.from('x'))]),
    PROTOCOL_CLOSE,
  ],
  ['a truncated frame', rawFrame(FrameType.Data, 1, Buffer.from('abc')).subarray(0, 12), PROTOCOL_CLOSE],
  [
    'a malformed Hello',
    joinFrames([encodeFrame(FrameType.Hello, 0, 0, head({ v: 2, ports: [1] }))]),
    PROTOCOL_CLOSE,
  ],
  [
    'a Ping of the wrong size',
    joinFrames([encodeFrame(FrameType.Ping, 0, 0, Buffer.alloc(3))]),
    closeCodeFor(ErrorCode.FrameSize),
  ],
  [
    'a Window frame granting nothing',
    joinFrames([encodeFrame(FrameType.Window, 0, 1, Buffer.alloc(4))]),
    closeCodeFor(ErrorCode.FlowControl),
  ],
];

const expectGoodStillWorks = async () => {
  const res = await api(t, `/proxy/good@${port}/still?ok=1`);
  expect(res.status).toBe(200);
  expect(await res.text()).toBe('good /still?ok=1');
  const health = (await (await api(t, '/health')).json()) as { status: string; bolts: number };
  expect(health.status).toBe('ok');
  expect(goodDrops).toBe(0);
};

describe('bad input from a connected peer', () => {
  it.each(badInputs)('closes the bolt that sent %s, and only that one', async (what, message, closeCode) => {
    const cname = `rogue-${what.replaceAll(' ', '-')}`;
    const socket = await rawBolt(t, cname);
    const closed = rawClosed(socket);
    socket.send(message);
    expect((await closed).code).toBe(closeCode);
    await eventually(() => t.table.get(cname) === undefined);
    await expectGoodStillWorks();
    const listed = (await (await api(t, '/clients')).json()) as { cname: string }[];
    expect(listed.map(({ cname }) => cname)).toEqual(['good']);
  });

  it('survives all of them at once', async () => {
    const sockets = await Promise.all(badInputs.map((_, i) => rawBolt(t, `mob-${i}`)));
    const closes = sockets.map(rawClosed);
    sockets.forEach((socket, i) => {
      socket.send(badInputs[i]?.[1] ?? '');
    });
    expect((await Promise.all(closes)).map(({ code }) => code)).toEqual(badInputs.map(([, , code]) => code));
    await eventually(() => t.table.size === 1);
    await expectGoodStillWorks();
  });
});

/** Waits for the tower to open a stream on the raw peer; resolves with the stream id. */
function nextRequest(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const request = decodeMessage(data).find((frame) => frame.type === FrameType.Request);
      if (!request) return;
      socket.off('message', onMessage);
      resolve(request.streamId);
    };
    socket.on('message', onMessage);
  });
}

/** Collects the Reset frames the tower sends the raw peer. */
function resets(socket: WebSocket): { streamId: number; code: number }[] {
  const seen: { streamId: number; code: number }[] = [];
  socket.on('message', (data: Buffer) => {
    for (const frame of decodeMessage(data)) {
      if (frame.type === FrameType.Reset) seen.push({ streamId: frame.streamId, code: frame.code });
    }
  });
  return seen;
}

describe('bad input on one stream', () => {
  it('fails only that exchange for a malformed response head; the bolt stays', async () => {
    const socket = await rawBolt(t, 'liar', [4321]);
    const seen = resets(socket);
    // With a body to follow the tower resets the stream; with END_STREAM it is already over both ways.
    for (const [status, flags] of [
      [99, 0],
      [101, FLAG_END_STREAM],
    ] as const) {
      const opened = nextRequest(socket);
      const pending = api(t, '/proxy/liar@4321/');
      const streamId = await opened;
      socket.send(
        joinFrames([encodeFrame(FrameType.Response, flags, streamId, head({ status, headers: [] }))]),
      );
      const res = await pending;
      expect(res.status).toBe(502);
      expect((await res.json()) as ApiErrorBody).toEqual({ error: 'protocol', message: expect.any(String) });
      if (flags === 0) {
        await eventually(() =>
          seen.some((reset) => reset.streamId === streamId && reset.code === ErrorCode.Protocol),
        );
      }
    }
    expect(socket.readyState).toBe(WebSocket.OPEN);
    expect(t.table.get('liar')?.isOpen).toBe(true);
    await eventually(() => t.table.get('liar')?.openStreams === 0);
    await expectGoodStillWorks();
    socket.close();
  });

  it('frames an answer by its real length, whatever length and hop-by-hop fields the agent claims', async () => {
    const socket = await rawBolt(t, 'misframer', [4321]);
    const body = Buffer.from('twenty bytes of body');
    for (let round = 0; round < 2; round++) {
      const opened = nextRequest(socket);
      const pending = api(t, '/proxy/misframer@4321/');
      const streamId = await opened;
      const headers = ['content-length', '5', 'transfer-encoding', 'chunked', 'connection', 'close'];
      socket.send(
        joinFrames([
          encodeFrame(FrameType.Response, 0, streamId, head({ status: 200, headers })),
          encodeFrame(FrameType.Data, FLAG_END_STREAM, streamId, body),
        ]),
      );
      const res = await pending;
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe(String(body.length));
      expect(res.headers.get('transfer-encoding')).toBeNull();
      expect(Buffer.from(await res.arrayBuffer())).toEqual(body);
    }
    await expectGoodStillWorks();
    socket.close();
  });

  it('resets a stream whose body overruns its credit; the bolt stays', async () => {
    const socket = await rawBolt(t, 'flooder', [4321]);
    const seen = resets(socket);
    const opened = nextRequest(socket);
    const pending = api(t, '/proxy/flooder@4321/');
    const streamId = await opened;
    const chunk = Buffer.alloc(Limits.maxDataPayload, 1);
    const overrun = Math.ceil(Limits.initialWindow / chunk.length) + 1;
    socket.send(
      joinFrames([
        encodeFrame(FrameType.Response, 0, streamId, head({ status: 200, headers: [] })),
        ...Array.from({ length: overrun }, () => encodeFrame(FrameType.Data, 0, streamId, chunk)),
      ]),
    );
    const res = await pending;
    // The overrun came in the head's own message, so the tower knew before answering anyone.
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: 'protocol' });
    await eventually(() =>
      seen.some((reset) => reset.streamId === streamId && reset.code === ErrorCode.FlowControl),
    );
    expect(socket.readyState).toBe(WebSocket.OPEN);
    expect(t.table.get('flooder')?.openStreams).toBe(0);
    await expectGoodStillWorks();
    socket.close();
  });
});

describe('bad input on the API', () => {
  it.each([
    ['port 0', '/proxy/good@0/'],
    ['port 70000', '/proxy/good@70000/'],
    ['a port that is not a number', '/proxy/good@abc/'],
    ['a port with too many digits', '/proxy/good@000080/'],
    ['a cname with a space', '/proxy/bad%20name@80/'],
    ['a cname too long', `/proxy/${'x'.repeat(129)}@80/`],
    ['no port', '/proxy/good/'],
    ['nothing after /proxy/', '/proxy/'],
  ])('answers 400 for %s', async (_what, path) => {
    const res = await api(t, path);
    expect(res.status).toBe(400);
    expect((await res.json()) as ApiErrorBody).toEqual({ error: 'bad-target', message: expect.any(String) });
  });

  it.each([
    ['GET', '/nothing-here'],
    ['POST', '/clients'],
    ['GET', '/clients/good/extra'],
    ['DELETE', '/health'],
  ])('answers 404 with the JSON body for %s %s', async (method, path) => {
    const res = await api(t, path, { method });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await res.json()) as ApiErrorBody).toEqual({ error: 'not-found', message: expect.any(String) });
  });

  it('keeps answering after all that', async () => {
    await expectGoodStillWorks();
  });
});
