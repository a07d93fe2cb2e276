/**
 * The only module that touches `ws`: it adapts a WebSocket to the session's `MessageLink` and offers
 * the two ways a bolt starts, accepted on the tower or dialled by the agent.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions, SecureContext } from 'node:tls';
import { type ClientOptions, WebSocket, WebSocketServer } from 'ws';
import type { MessageLink } from './mux/bolt-session.js';
import { Limits } from './protocol/frames.js';

/** What the session above a link wants to hear. */
export interface LinkListener {
  message(data: Buffer): void;
  close(code: number, reason: string): void;
}

/** A link plus the hook to attach its listener once the session exists. */
export interface OpenLink extends MessageLink {
  listen(listener: LinkListener): void;
}

// The close handshake waits this long for a peer before the socket is dropped.
const CLOSE_GRACE_MS = 2_000;

function wrap(socket: WebSocket): OpenLink {
  return {
    send(message, done) {
      if (socket.readyState !== WebSocket.OPEN) return done(new Error('socket not open'));
      socket.send(message, { binary: true, compress: false }, done);
    },
    close(code, reason, force) {
      if (force) {
        socket.terminate();
        return;
      }
      try {
        socket.close(code, reason);
      } catch {
        // An unsendable close frame must not leave the socket open.
        socket.terminate();
        return;
      }
      setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
    },
    listen(listener) {
      socket.on('message', (data, isBinary) => {
        // Text messages are not part of the protocol; an empty buffer makes the decoder refuse it.
        listener.message(isBinary && Buffer.isBuffer(data) ? data : Buffer.alloc(0));
      });
      socket.on('close', (code, reason) => listener.close(code, reason.toString('utf8')));
    },
  };
}

/** Accepts WebSocket upgrades that the caller has already authenticated. */
export class LinkAcceptor {
  private readonly server = new WebSocketServer({
    noServer: true,
    maxPayload: Limits.maxMessageSize,
    perMessageDeflate: false,
    clientTracking: false,
  });

  accept(request: IncomingMessage, socket: Duplex, head: Buffer, ready: (link: OpenLink) => void): void {
    this.server.handleUpgrade(request, socket, head, (ws) => {
      // An error on one socket (a bad frame, a reset) must never reach the process: the close follows.
      ws.on('error', () => {});
      ready(wrap(ws));
    });
  }
}

export interface DialOptions {
  /** The agent's certificate, key and trusted CA, built once and reused for every dial. */
  secureContext: SecureContext;
  /** Milliseconds allowed for TCP + TLS + upgrade. */
  handshakeTimeoutMs: number;
}

/** Dials a tower; resolves with the open link, rejects with the reason it could not open. */
export function dialLink(url: string, options: DialOptions): Promise<OpenLink> {
  return new Promise((resolve, reject) => {
    // ws hands every option on to `tls.connect`, `secureContext` too, though its types do not list it.
    const tlsOptions: ClientOptions & Pick<ConnectionOptions, 'secureContext'> = {
      // One context per client: parsing the PEMs again on each dial is CPU a redialling fleet can spare.
      secureContext: options.secureContext,
      rejectUnauthorized: true,
      handshakeTimeout: options.handshakeTimeoutMs,
      maxPayload: Limits.maxMessageSize,
      perMessageDeflate: false,
      // Masking guards browsers' proxies against cache poisoning; a bolt is TLS end to end and never
      // a browser, so a zero mask (which ws then skips applying) saves XOR-ing every byte sent.
      generateMask: (mask: Buffer) => void mask.fill(0),
    };
    const socket = new WebSocket(url, tlsOptions);
    const onError = (error: Error) => reject(error);
    socket.once('error', onError);
    socket.once('unexpected-response', (_request, response) => {
      reject(new Error(`tower refused the bolt: HTTP ${response.statusCode}`));
      socket.terminate();
    });
    socket.once('open', () => {
      socket.off('error', onError);
      socket.on('error', () => {});
      resolve(wrap(socket));
    });
  });
}
