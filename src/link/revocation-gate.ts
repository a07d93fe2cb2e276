/**
 * Revoked agents, as every bolt listener sees them. The revocation list goes into the listeners' TLS
 * contexts, so OpenSSL refuses a revoked certificate at the handshake; the gate also checks serials
 * after TLS, as a belt, and closes the live bolts of certificates revoked while they were up.
 */
import type { Bolt } from './bolt.js';
import type { BoltTable } from './bolt-table.js';

/** A verified revocation list: the PEM for TLS (empty: none yet) and its normalized serials. */
export interface Revocations {
  readonly pem: string;
  readonly serials: ReadonlySet<string>;
}

const NONE: Revocations = { pem: '', serials: new Set() };

export class RevocationGate {
  private current: Revocations;
  // Bolts leave the table when they close; a weak map forgets them with no bookkeeping.
  private readonly serials = new WeakMap<Bolt, string>();
  private readonly contexts = new Set<(crl: string | undefined) => void>();

  constructor(
    private readonly table: BoltTable,
    initial: Revocations = NONE,
  ) {
    this.current = initial;
  }

  /** The CRL for `tls.createSecureContext`; none while nothing was ever revoked (no CRL check then). */
  get crl(): string | undefined {
    return this.current.pem === '' ? undefined : this.current.pem;
  }

  /** `serial` in normalized spelling (see certs/serial.ts). */
  isRevoked(serial: string): boolean {
    return this.current.serials.has(serial);
  }

  /** Calls `apply` with each new CRL, so a listener rebuilds its TLS context for new connections. */
  onChange(apply: (crl: string | undefined) => void): void {
    this.contexts.add(apply);
  }

  /**
   * Remembers which certificate `bolt` came with, once the table holds it; closes it right away if
   * that certificate was revoked between its handshake and now.
   */
  follow(bolt: Bolt, serial: string): void {
    this.serials.set(bolt, serial);
    if (this.isRevoked(serial)) bolt.close('revoked', 'its certificate was revoked');
  }

  /** Takes a new list: new handshakes check it, and every live bolt it revokes is closed. */
  update(next: Revocations): Bolt[] {
    this.current = next;
    for (const apply of this.contexts) apply(this.crl);
    const closed: Bolt[] = [];
    for (const bolt of this.table.list()) {
      const serial = this.serials.get(bolt);
      if (serial === undefined || !next.serials.has(serial)) continue;
      bolt.close('revoked', 'its certificate was revoked');
      closed.push(bolt);
    }
    return closed;
  }
}
