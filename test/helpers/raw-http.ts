/**
 * A bare TCP client for the API: writes exactly the bytes a test gives (pipelined requests, HTTP/1.0,
 * a body that stops half way) and records every byte that comes back, so a test sees the wire itself
 * rather than what an HTTP client library makes of it.
 */
import net from 'node:net';
import type { RunningTower } from '../../src/tower.js';
import { eventually, onCloseAll } from './harness.js';

export interface RawHttp {
  /** Everything received so far, as latin1 text. */
  readonly received: () => string;
  /** Resolves once the tower has closed or reset the connection. */
  readonly closed: Promise<void>;
  readonly isClosed: () => boolean;
  write(text: string | Buffer): void;
  /** Resolves once `text` has been received. */
  waitFor(text: string): Promise<void>;
}

export async function rawHttp(running: RunningTower): Promise<RawHttp> {
  const socket = net.connect(running.apiAddress.port, '127.0.0.1');
  socket.on('error', () => {});
  onCloseAll(async () => {
    socket.destroy();
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closedPromise = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  const received = () => Buffer.concat(chunks).toString('latin1');
  return {
    received,
    closed: closedPromise,
    isClosed: () => closed,
    write: (text) => {
      socket.write(text);
    },
    waitFor: (text) => eventually(() => received().includes(text) || undefined).then(() => {}),
  };
}

/** Splits a received byte string into its head and the bytes after the blank line. */
export function splitResponse(text: string): { head: string; rest: string } {
  const end = text.indexOf('\r\n\r\n');
  return end < 0 ? { head: text, rest: '' } : { head: text.slice(0, end), rest: text.slice(end + 4) };
}
