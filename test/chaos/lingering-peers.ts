/**
 * Peers that connect to the tower's bolt port and then never get anywhere: one that sends nothing,
 * one that stops inside its TLS ClientHello, one that finishes mutual TLS and sends no request, and
 * one that sends its upgrade request a header line at a time, never ending it (slow loris). Each
 * holds a socket, and a few thousand of them would hold a tower's file descriptors: the tower has
 * to close them itself. They are opened at the start of a run and looked at much later.
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { onCloseAll } from '../helpers/harness.js';

export interface LingeringPeer {
  readonly kind: string;
  /** The tower ended the connection (we never do, until the run is over). */
  closedByTower: boolean;
}

/** A TLS record header announcing a 512-byte handshake message, and the first few bytes of it. */
const HALF_A_CLIENT_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
/** The slow upgrade sends one more header line this often. */
const SLOW_LINE_MS = 5_000;

function track(kind: string, socket: net.Socket): LingeringPeer {
  const peer: LingeringPeer = { kind, closedByTower: false };
  let ours = false;
  socket.on('error', () => {}); // a reset from the tower is one way of closing
  socket.on('close', () => {
    if (!ours) peer.closedByTower = true;
  });
  onCloseAll(async () => {
    ours = true;
    socket.destroy();
  });
  return peer;
}

export interface PeerIdentity {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Two of each kind, against the bolt port on loopback; `files` are an agent's PEM paths. */
export async function openLingeringPeers(port: number, files: PeerIdentity): Promise<LingeringPeer[]> {
  const [ca, cert, key] = await Promise.all(
    [files.ca, files.cert, files.key].map((f) => readFile(f, 'utf8')),
  );
  const tlsPeer = (kind: string, then: (socket: tls.TLSSocket) => void): LingeringPeer => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, cert, key, servername: 'localhost' });
    socket.once('secureConnect', () => then(socket));
    return track(kind, socket);
  };
  const peers: LingeringPeer[] = [];
  for (let i = 0; i < 2; i++) {
    peers.push(track('silent TCP', net.connect(port, '127.0.0.1')));
    const partial = net.connect(port, '127.0.0.1', () => partial.write(HALF_A_CLIENT_HELLO));
    peers.push(track('half a ClientHello', partial));
    peers.push(tlsPeer('TLS, then no request', () => {}));
    peers.push(
      tlsPeer('upgrade request, a header line every 5 s', (socket) => {
        socket.write(`GET /bolt HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
        let line = 0;
        const timer = setInterval(() => socket.write(`X-Slow-${line++}: 1\r\n`), SLOW_LINE_MS);
        timer.unref();
        socket.once('close', () => clearInterval(timer));
      }),
    );
  }
  return peers;
}
