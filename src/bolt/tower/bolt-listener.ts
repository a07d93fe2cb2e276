/**
 * The tower's bolt listener: an HTTPS server that upgrades `/bolt` to a WebSocket only for agents
 * presenting a client certificate chained to the tower's CA, with a valid cname as its CN.
 *
 * TLS itself refuses a missing, foreign or expired certificate during the handshake; the upgrade
 * handler then checks the CN before any WebSocket exists. Every refusal is one log line, nothing more.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../log/logger.js';
import { BoltSession } from '../mux/bolt-session.js';
import { ProtocolError } from '../protocol/codec.js';
import { ErrorCode, errorCodeName } from '../protocol/frames.js';
import { decodeHello } from '../protocol/heads.js';
import { LinkAcceptor } from '../ws-link.js';
import type { BoltTable } from './bolt-table.js';
import { listenOn, peerIdentity } from './peer-identity.js';
import { WsBolt } from './ws-bolt.js';

export interface BoltListenerOptions {
  readonly host: string;
  readonly port: number;
  /** PEM: the CA agents' certificates must chain to, and the tower's own certificate and key. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly beaconIntervalMs: number;
  readonly beaconValidityMs: number;
}

export interface BoltListener {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

export async function listenForBolts(
  options: BoltListenerOptions,
  table: BoltTable,
  log: Logger,
): Promise<BoltListener> {
  const server = https.createServer({
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  });
  const acceptor = new LinkAcceptor();

  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    log.warn(
      { remote: socket.remoteAddress, code: error.code, reason: error.message },
      'bolt refused during TLS',
    );
  });
  server.on('request', (_request, response) => {
    response
      .writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' })
      .end('bolts connect to /bolt\n');
  });
  server.on('upgrade', (request, rawSocket, head) => {
    const socket = rawSocket as TLSSocket;
    const remote = socket.remoteAddress ?? 'unknown';
    const refuse = (status: 403 | 404, reason: string, cname?: string) => {
      log.warn({ remote, cname, reason }, 'bolt refused');
      const text = status === 403 ? 'Forbidden' : 'Not Found';
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroySoon();
    };
    if (new URL(request.url ?? '/', 'https://tower').pathname !== '/bolt') return refuse(404, 'not /bolt');
    const identity = peerIdentity(socket);
    if ('refused' in identity) return refuse(403, identity.refused, identity.cname);
    const { cname } = identity;

    acceptor.accept(request, socket, head, (link) => {
      let bolt: WsBolt | undefined;
      const session = new BoltSession(link, {
        role: 'tower',
        beaconIntervalMs: options.beaconIntervalMs,
        beaconValidityMs: options.beaconValidityMs,
        onHello: (payload) => {
          if (!bolt) return;
          const hello = decodeHello(payload);
          table.announce(bolt, hello.ports);
          log.info({ cname, ports: hello.ports, agent: hello.agent }, 'bolt capability');
        },
        onClose: (code, reason) => {
          if (!bolt) return;
          log.info({ cname, code, reason }, 'bolt closed');
          table.removed(bolt, code, reason);
        },
      });
      bolt = new WsBolt(cname, remote, session);
      link.listen({
        message: (data) => {
          try {
            session.receive(data);
          } catch (error) {
            const code = error instanceof ProtocolError ? errorCodeName(error.code) : 'Internal';
            log.warn(
              { cname, code, reason: error instanceof Error ? error.message : String(error) },
              'bolt closed: bad input',
            );
            if (!(error instanceof ProtocolError)) session.close(ErrorCode.Internal, 'internal error');
          }
        },
        close: (code, reason) => session.linkClosed(code, reason),
      });
      log.info({ cname, remote }, 'bolt connected');
      table.add(bolt);
    });
  });

  const address = await listenOn(server, options.port, options.host);
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        table.closeAll(ErrorCode.GoingAway, 'tower shutting down');
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
