/**
 * Plays the agent's side of relayed exchanges by hand on a raw bolt (`rawBolt` in the harness), so a
 * test can send the response heads and bodies no real agent would: lying lengths, silence, overruns.
 */
import type { WebSocket } from 'ws';
import { decodeMessage, encodeFrame, joinFrames } from '../../src/bolt/protocol/codec.js';
import { FLAG_END_STREAM, FrameType } from '../../src/bolt/protocol/frames.js';

export interface OpenedStream {
  readonly streamId: number;
  readonly head: { method: string; path: string; headers: string[] };
}

/** Resolves with the next stream the tower opens on the raw peer. */
export function nextRequest(socket: WebSocket): Promise<OpenedStream> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const request = decodeMessage(data).find((frame) => frame.type === FrameType.Request);
      if (!request || !('payload' in request)) return;
      socket.off('message', onMessage);
      const head = JSON.parse(Buffer.from(request.payload).toString('utf8')) as OpenedStream['head'];
      resolve({ streamId: request.streamId, head });
    };
    socket.on('message', onMessage);
  });
}

/** Sends a Response head; with `end` no body follows. */
export function sendHead(
  socket: WebSocket,
  streamId: number,
  status: number,
  headers: readonly string[],
  end = false,
): void {
  const payload = Buffer.from(JSON.stringify({ status, headers }));
  socket.send(joinFrames([encodeFrame(FrameType.Response, end ? FLAG_END_STREAM : 0, streamId, payload)]));
}

/** Sends body bytes; with `end` the body ends after them. */
export function sendData(socket: WebSocket, streamId: number, data: string | Buffer, end = false): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  socket.send(joinFrames([encodeFrame(FrameType.Data, end ? FLAG_END_STREAM : 0, streamId, bytes)]));
}

/** Every Reset frame the tower sends the raw peer from now on. */
export function resets(socket: WebSocket): { streamId: number; code: number }[] {
  const seen: { streamId: number; code: number }[] = [];
  socket.on('message', (data: Buffer) => {
    for (const frame of decodeMessage(data)) {
      if (frame.type === FrameType.Reset) seen.push({ streamId: frame.streamId, code: frame.code });
    }
  });
  return seen;
}
