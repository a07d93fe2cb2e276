/**
 * The tower's side of revocation: reads `<data-dir>/revoked.crl` at start, hands it to the bolt
 * listeners through a `RevocationGate`, and keeps it current from a watch on the data dir and from
 * SIGHUP. Live bolts of newly revoked certificates are closed as `revoked` (4017).
 */
import { readRevocationList } from './certs/revocation-list.js';
import { type RevocationWatch, watchRevocations } from './certs/revocation-watch.js';
import type { BoltTable } from './link/bolt-table.js';
import { RevocationGate } from './link/revocation-gate.js';
import type { Logger } from './log/logger.js';

export interface TowerRevocations {
  readonly gate: RevocationGate;
  /** Reads the list now (SIGHUP); true when a new one was taken. */
  reload(): Promise<boolean>;
  close(): void;
}

/**
 * Without `dataDir` nothing is ever revoked (an embedded tower with no data dir). A list that is
 * unusable at start stops the start: running without it would let revoked agents back in.
 */
export async function startRevocations(
  dataDir: string | undefined,
  caPem: string,
  table: BoltTable,
  log: Logger,
): Promise<TowerRevocations> {
  if (dataDir === undefined) {
    return { gate: new RevocationGate(table), reload: async () => false, close: () => undefined };
  }
  const initial = await readRevocationList(dataDir, caPem);
  const gate = new RevocationGate(table, initial);
  if (initial.entries.length > 0) log.info({ revoked: initial.entries.length }, 'revocation list loaded');
  const watch: RevocationWatch = watchRevocations(
    {
      dataDir,
      caPem,
      initial,
      onList: (list) => {
        const closed = gate.update(list);
        log.info({ revoked: list.entries.length, closed: closed.length }, 'revocation list reloaded');
        for (const bolt of closed)
          log.warn({ cname: bolt.cname, remote: bolt.address, transport: bolt.transport }, 'bolt revoked');
      },
    },
    log,
  );
  return { gate, reload: () => watch.reload(), close: () => watch.close() };
}
