/**
 * Who is on the other end of an accepted TLS socket, by the rule every bolt listener applies: a
 * certificate chained to the tower's CA, whose CN is a valid cname. Also the one way listeners start.
 */
import type { AddressInfo, Server } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { isValidCname } from '../certs/cname.js';

export type PeerIdentity = { readonly cname: string } | { readonly refused: string; readonly cname?: string };

export function peerIdentity(socket: TLSSocket): PeerIdentity {
  // The pre-auth guard refused these right after the handshake; checked again so a change there fails closed.
  if (!socket.authorized) return { refused: `unauthorized: ${String(socket.authorizationError)}` };
  const cname = socket.getPeerCertificate().subject?.CN;
  if (typeof cname !== 'string' || !isValidCname(cname)) {
    return { refused: 'the certificate CN is not a valid cname', cname: String(cname) };
  }
  return { cname };
}

/** Listens and resolves with the bound address, or rejects with the bind error (EADDRINUSE...). */
export function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
