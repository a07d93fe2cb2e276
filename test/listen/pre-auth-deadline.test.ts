/**
 * Connections that never finish authenticating are closed after a deadline, on both TLS listeners:
 * a TCP connection that sends no TLS byte, and (bolt port) one that completes TLS with a valid
 * certificate but dribbles its upgrade request. Each test waits for the socket's `close`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { agent, announced, api, closeAll, tower } from '../helpers/harness.js';
import { legacyAgent, legacyAnnounced, legacyTower } from '../legacy/legacy-harness.js';
import { dribblingUpgrade, silentConnection } from './pre-auth-peers.js';

afterEach(closeAll);

describe('the pre-auth deadline', () => {
  it('closes a silent TCP connection to the bolt port, and a real agent still connects', async () => {
    // The deadline holds the real agent's handshake too: roomy enough for a busy machine.
    const t = await tower({ tlsHandshakeTimeout: 1 });
    const silent = await silentConnection(t.boltAddress.port);
    await silent.closed;
    await agent(t.boltUrl, 'after-silence', [1]);
    await announced(t, 'after-silence');
    expect((await api(t, '/health')).status).toBe(200);
  });

  it('closes a silent TCP connection to the legacy port, and a legacy agent still connects', async () => {
    const legacy = await legacyTower({}, { preAuth: { handshakeTimeoutMs: 1_000 } });
    const silent = await silentConnection(legacy.legacy.address.port);
    await silent.closed;
    await legacyAgent(legacy, 'after-silence', [5000]);
    await legacyAnnounced(legacy, 'after-silence');
    const timeouts = legacy.logs.filter((line) => line.limit === 'tlsHandshakeTimeout');
    expect(timeouts).toEqual([expect.objectContaining({ remote: '127.0.0.1', listener: 'legacy' })]);
  });

  it('closes a bolt connection that completes TLS and then dribbles its upgrade', async () => {
    const t = await tower({ upgradeTimeout: 0.3 });
    const dribbler = await dribblingUpgrade(t.boltAddress.port, 'dribbler');
    await dribbler.closed;
    expect(t.table.get('dribbler')).toBeUndefined();
  });
});
