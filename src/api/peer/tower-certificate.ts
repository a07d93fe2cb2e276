/**
 * Which peers the relay listener serves: towers. A tower's certificate is a leaf issued directly by
 * the cluster CA whose extended key usage is present and names serverAuth (and clientAuth, which TLS
 * client authentication needs); an agent's carries clientAuth alone. Both chain to the same CA, so
 * without this an agent could ask a tower to relay to any other agent's ports.
 */
import type { TLSSocket } from 'node:tls';
import { AgentCertificateRule } from '../../certs/agent-certificate.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

export class TowerCertificateRule {
  // The leaf, clientAuth and direct-issuer rules are the agents' ones; verdicts are remembered there.
  private readonly leaf: AgentCertificateRule;
  private readonly verdicts = new WeakMap<TLSSocket, string | null>();

  /** `ca`: the PEM the listener trusts. */
  constructor(ca: string) {
    this.leaf = new AgentCertificateRule(ca);
  }

  /** Why the peer on `socket` (authorized by TLS) is not a tower, or null when it is; judged once per connection. */
  refusal(socket: TLSSocket): string | null {
    let verdict = this.verdicts.get(socket);
    if (verdict === undefined) {
      verdict = this.judge(socket);
      this.verdicts.set(socket, verdict);
    }
    return verdict;
  }

  private judge(socket: TLSSocket): string | null {
    const certificate = socket.getPeerX509Certificate();
    if (!socket.authorized || certificate === undefined) return 'no certificate chained to the cluster CA';
    const refusal = this.leaf.check(certificate);
    if (refusal) return refusal.reason;
    // Node names the extended key usage `keyUsage`; undefined when the extension is absent.
    if (!certificate.keyUsage?.includes(SERVER_AUTH)) {
      return 'the certificate is not a tower certificate (its extended key usage lacks serverAuth)';
    }
    return null;
  }
}
