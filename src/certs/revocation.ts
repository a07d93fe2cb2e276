/**
 * What `certs revoke` and `certs list` do with the CA's two records: the issued index says which
 * certificates exist, the revocation list which of them are revoked.
 */
import { readIssued } from './issued-index.js';
import { readRevocationList, revokeSerials } from './revocation-list.js';
import { looksLikeSerial, normalizeSerial } from './serial.js';
import { loadDataDirAuthority } from './store.js';

export interface RevokeResult {
  /** Serials revoked by this call, with the cname the index knows them by. */
  readonly revoked: readonly { serial: string; cname: string | undefined }[];
  /** Serials that were revoked already. */
  readonly already: readonly string[];
}

/**
 * Revokes every certificate of `target` when it is a cname the index knows, else the certificate
 * with that serial. A serial the index does not know is revoked too (certificates issued before the
 * index existed), but only if it reads as one; anything else is an error naming what was looked for.
 */
export async function revokeCertificates(dataDir: string, target: string): Promise<RevokeResult> {
  const issued = await readIssued(dataDir);
  const ca = await loadDataDirAuthority(dataDir);
  const byCname = issued.filter((entry) => entry.cname === target);
  let serials: string[];
  if (byCname.length > 0) {
    serials = byCname.map((entry) => entry.serial);
  } else if (looksLikeSerial(target)) {
    serials = [normalizeSerial(target)];
  } else {
    throw new Error(
      `no certificate was issued to ${JSON.stringify(target)}: give a cname or a serial (certs list)`,
    );
  }
  const added = new Set(await revokeSerials(dataDir, ca, serials));
  const cnameOf = new Map(issued.map((entry) => [entry.serial, entry.cname]));
  return {
    revoked: serials
      .filter((serial) => added.has(serial))
      .map((serial) => ({ serial, cname: cnameOf.get(serial) })),
    already: serials.filter((serial) => !added.has(serial)),
  };
}

export type CertificateState = 'issued' | 'expiring' | 'expired' | 'revoked';

export interface CertificateRow {
  readonly cname: string;
  readonly serial: string;
  readonly kind: string;
  readonly notAfter: string;
  readonly state: CertificateState;
  /** When it was revoked, for a revoked one. */
  readonly revokedAt?: string;
}

const DAY_MS = 86_400_000;

/** Every issued certificate with its state; `expiring` means expiring within `expiringWithinDays`. */
export async function listCertificates(
  dataDir: string,
  options: { expiringWithinDays: number; now?: Date },
): Promise<CertificateRow[]> {
  const issued = await readIssued(dataDir);
  const ca = await loadDataDirAuthority(dataDir);
  const list = await readRevocationList(dataDir, ca.certPem);
  const revokedAt = new Map(list.entries.map((entry) => [entry.serial, entry.revokedAt.toISOString()]));
  const now = (options.now ?? new Date()).getTime();
  const soon = now + options.expiringWithinDays * DAY_MS;
  return issued.map((entry) => {
    const expires = Date.parse(entry.notAfter);
    const revoked = revokedAt.get(entry.serial);
    const state: CertificateState =
      revoked !== undefined
        ? 'revoked'
        : expires <= now
          ? 'expired'
          : expires <= soon
            ? 'expiring'
            : 'issued';
    return {
      cname: entry.cname,
      serial: entry.serial,
      kind: entry.kind,
      notAfter: entry.notAfter,
      state,
      ...(revoked === undefined ? {} : { revokedAt: revoked }),
    };
  });
}
