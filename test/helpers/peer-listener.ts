/**
 * A tower's peer listener on a loopback port the OS picks, with the test CA's tower certificate:
 * what another tower in a cluster relays through. Closed by `closeAll()`.
 */
import { listenForPeers, type PeerListener } from '../../src/api/peer/peer-listener.js';
import type { BoltTable } from '../../src/link/bolt-table.js';
import { DEFAULT_PRE_AUTH_LIMITS } from '../../src/link/pre-auth-guard.js';
import type { Logger } from '../../src/log/logger.js';
import { onCloseAll } from './harness.js';
import type { TestPki } from './pki.js';

export async function testPeerListener(
  pki: TestPki,
  table: BoltTable,
  log: Logger,
  relayTimeoutMs = 5000,
): Promise<PeerListener> {
  const listener = await listenForPeers(
    {
      host: '127.0.0.1',
      port: 0,
      ca: pki.ca,
      cert: pki.cert,
      key: pki.key,
      relayTimeoutMs,
      relayIdleTimeoutMs: 60_000,
      preAuth: DEFAULT_PRE_AUTH_LIMITS,
    },
    table,
    log,
  );
  onCloseAll(() => listener.close());
  return listener;
}
