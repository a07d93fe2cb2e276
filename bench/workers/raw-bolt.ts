/**
 * A bolt spoken by hand for the attack workers: TLS with the agent's certificate, the WebSocket
 * upgrade written as bytes, and client frames built without a library. A hostile peer does not use
 * `ws`, and only a raw socket can stop reading, or dribble its upgrade request a byte at a time.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

export interface Identity {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** PEM files from their paths, as the worker's command line names them. */
export const readIdentity = (cert: string, key: string, ca: string): Identity => ({
  cert: readFileSync(cert, 'utf8'),
  key: readFileSync(key, 'utf8'),
  ca: readFileSync(ca, 'utf8'),
});

/** A TLS connection to the bolt port with the agent's certificate; resolves once TLS is up. */
export function dialTls(port: number, identity: Identity): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      ...identity,
      // The attacker does not care who the tower is; the tower cares who the attacker is.
      rejectUnauthorized: false,
    });
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** The upgrade request for `/bolt`, with `padding` bytes of an extra header to make it long. */
export function upgradeRequest(port: number, padding = 0): Buffer {
  return Buffer.from(
    'GET /bolt HTTP/1.1\r\n' +
      `Host: 127.0.0.1:${port}\r\n` +
      'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      (padding > 0 ? `X-Padding: ${'a'.repeat(padding)}\r\n` : '') +
      '\r\n',
  );
}

/** Upgrades `socket` to a WebSocket; resolves with any bytes that came after the 101 head. */
export function upgrade(socket: tls.TLSSocket, port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      if (!head.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 101')) {
        reject(new Error(`upgrade refused: ${head.subarray(0, head.indexOf('\r\n')).toString('latin1')}`));
      } else resolve(head.subarray(end + 4));
    };
    const onClose = () => reject(new Error('closed during the upgrade'));
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(upgradeRequest(port));
  });
}

/**
 * One binary WebSocket message from the client: FIN + binary, the length, and an all-zero mask key,
 * which leaves the payload as it is (RFC 6455 5.3), so no byte needs XOR-ing.
 */
export function wsMessage(payload: Buffer): Buffer {
  let head: Buffer;
  if (payload.length < 126) {
    head = Buffer.from([0x82, 0x80 | payload.length, 0, 0, 0, 0]);
  } else if (payload.length < 0x10000) {
    head = Buffer.alloc(8);
    head.writeUInt8(0x82, 0);
    head.writeUInt8(0x80 | 126, 1);
    head.writeUInt16BE(payload.length, 2);
  } else {
    head = Buffer.alloc(14);
    head.writeUInt8(0x82, 0);
    head.writeUInt8(0x80 | 127, 1);
    head.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  return Buffer.concat([head, payload]);
}
