/**
 * How a bolt agrees on raw framing: inside an ordinary WebSocket opening handshake, so it still goes
 * through port 443 and through proxies that allow WebSocket. The agent adds `X-Stormbolt-Framing:
 * raw/1` to its upgrade request; a tower that speaks it answers the 101 with the same field, and from
 * there both sides write bolt frames straight onto TLS. A tower that does not (an older one) answers
 * a plain WebSocket 101; the agent then drops that socket and dials again over WebSocket (see
 * `dial-link.ts`). The field, not `Sec-WebSocket-Protocol`, carries the offer because ws-based towers
 * echo the first subprotocol offered whether they know it or not.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { ConnectionOptions, SecureContext } from 'node:tls';
import type { OpenLink } from '../open-link.js';
import { rawLink } from './raw-link.js';

export const FRAMING_HEADER = 'x-stormbolt-framing';
export const RAW_FRAMING = 'raw/1';

// RFC 6455 section 1.3: the accept value proves the answer comes from a WebSocket-aware server.
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const KEY = /^[+/0-9A-Za-z]{22}==$/;

const acceptFor = (key: string): string =>
  createHash('sha1')
    .update(key + WEBSOCKET_GUID)
    .digest('base64');

/** The upgrade request offers raw framing, in a well-formed WebSocket opening handshake. */
export function offersRawFraming(request: IncomingMessage): boolean {
  const offer = request.headers[FRAMING_HEADER];
  const key = request.headers['sec-websocket-key'];
  return (
    typeof offer === 'string' &&
    offer.split(',').some((each) => each.trim() === RAW_FRAMING) &&
    request.method === 'GET' &&
    request.headers.upgrade?.toLowerCase() === 'websocket' &&
    request.headers['sec-websocket-version'] === '13' &&
    typeof key === 'string' &&
    KEY.test(key)
  );
}

/** Tower side: answers the offer and starts the raw link; undefined when the socket is already gone. */
export function acceptRawFraming(
  request: IncomingMessage,
  socket: Socket,
  head: Buffer,
): OpenLink | undefined {
  if (!socket.readable || !socket.writable) {
    socket.destroy();
    return undefined;
  }
  const key = request.headers['sec-websocket-key'] ?? '';
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${acceptFor(key)}\r\nX-Stormbolt-Framing: ${RAW_FRAMING}\r\n\r\n`,
  );
  return rawLink(socket, head);
}

/** The tower upgraded to WebSocket without raw framing: dial it over WebSocket instead. */
export class RawFramingRefused extends Error {
  override readonly name = 'RawFramingRefused';
}

export interface RawDialOptions {
  readonly secureContext: SecureContext;
  readonly handshakeTimeoutMs: number;
}

/** Agent side: dials `wss://...` offering raw framing; resolves with the raw link. */
export function dialRaw(url: string, options: RawDialOptions): Promise<OpenLink> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    // https hands every option on to `tls.connect`, `secureContext` too, though its types do not list it.
    const requestOptions: RequestOptions & Pick<ConnectionOptions, 'secureContext'> = {
      host,
      port: target.port === '' ? 443 : Number(target.port),
      path: `${target.pathname}${target.search}`,
      method: 'GET',
      agent: false,
      secureContext: options.secureContext,
      rejectUnauthorized: true,
      // No SNI for an address, as ws does; the certificate is still checked against it.
      servername: isIP(host) ? '' : host,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': key,
        [FRAMING_HEADER]: RAW_FRAMING,
      },
    };
    const request = httpsRequest(requestOptions);
    const timer = setTimeout(
      () => request.destroy(new Error('Opening handshake has timed out')),
      options.handshakeTimeoutMs,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    request.once('error', fail);
    request.once('response', (response) => {
      response.resume();
      request.destroy();
      fail(new Error(`tower refused the bolt: HTTP ${response.statusCode}`));
    });
    request.once('upgrade', (response, socket: Socket, head: Buffer) => {
      clearTimeout(timer);
      // Held until the session listens: the tower may already be writing (a Ping, a close).
      socket.pause();
      const { headers } = response;
      if (
        headers.upgrade?.toLowerCase() !== 'websocket' ||
        headers['sec-websocket-accept'] !== acceptFor(key)
      ) {
        socket.destroy();
        return reject(new Error('the tower answered the upgrade with a bad WebSocket handshake'));
      }
      if (headers[FRAMING_HEADER] !== RAW_FRAMING) {
        socket.destroy();
        return reject(new RawFramingRefused('the tower does not speak raw framing'));
      }
      resolve(rawLink(socket, head));
    });
    request.end();
  });
}
