/**
 * Who is on the other end of an accepted TLS socket, by the rule every bolt listener applies: a
 * certificate chained to the tower's CA that is an agent's (a leaf issued directly by a configured CA,
 * see certs/agent-certificate.ts), whose CN is a valid cname. Also the one way listeners start.
 */
import type { AddressInfo, Server } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { AgentCertificateRefusal, AgentCertificateRule } from '../certs/agent-certificate.js';
import { isValidCname } from '../certs/cname.js';
import { normalizeSerial } from '../certs/serial.js';
import type { RevocationGate } from './revocation-gate.js';

/** A refusal's stable code, for logs and tests. */
export type RefusalCode = 'unauthorized' | 'bad-cname' | 'revoked' | AgentCertificateRefusal['code'];

export type PeerIdentity =
  | { readonly cname: string; readonly serial: string }
  | { readonly refused: string; readonly code: RefusalCode; readonly cname?: string };

/** `revocations`: the TLS context refuses revoked certificates already; checked again should it lag. */
export function peerIdentity(
  socket: TLSSocket,
  rule: AgentCertificateRule,
  revocations?: RevocationGate,
): PeerIdentity {
  // The pre-auth guard refused these right after the handshake; checked again so a change there fails closed.
  const peer = socket.getPeerCertificate();
  if (!socket.authorized || !peer.fingerprint256) {
    return { refused: `unauthorized: ${String(socket.authorizationError)}`, code: 'unauthorized' };
  }
  const cname = peer.subject?.CN;
  const refusal = rule.checkPeer(peer.fingerprint256, () => socket.getPeerX509Certificate());
  if (refusal === 'unparsed') {
    return { refused: 'the peer certificate could not be read', code: 'unauthorized' };
  }
  if (refusal) {
    return { refused: refusal.reason, code: refusal.code, ...(typeof cname === 'string' ? { cname } : {}) };
  }
  if (typeof cname !== 'string' || !isValidCname(cname)) {
    return { refused: 'the certificate CN is not a valid cname', code: 'bad-cname', cname: String(cname) };
  }
  const serial = normalizeSerial(peer.serialNumber ?? '');
  if (revocations?.isRevoked(serial)) {
    return { refused: `certificate ${serial} is revoked`, code: 'revoked', cname };
  }
  return { cname, serial };
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
