/**
 * Handshakes in progress are capped per listener and per remote address: connections over a cap
 * are dropped at once (one log line per address), so a flood of silent connections holds a bounded
 * number of descriptors and never keeps real agents or the API out. Floods come from 127.0.0.2-4,
 * real agents from 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { agent, announced, api, closeAll, collect, eventually, service, tower } from '../helpers/harness.js';
import { legacyAgent, legacyAnnounced, legacyTower } from '../legacy/legacy-harness.js';
import { closedCount, silentFlood } from './pre-auth-peers.js';

afterEach(closeAll);

// Long enough that the connections a tower admits stay open for the whole test.
const LONG = 60;

describe('caps on handshakes in progress', () => {
  it('drops connections over the per-address cap at once; an agent from elsewhere and /health carry on', async () => {
    const t = await tower({ tlsHandshakeTimeout: LONG, handshakeLimit: 8, handshakeLimitPerAddress: 4 });
    const flood = await silentFlood(t.boltAddress.port, 12, '127.0.0.2');
    await closedCount(flood, 8);

    await agent(t.boltUrl, 'beside-flood', [1]);
    await announced(t, 'beside-flood');
    expect((await api(t, '/health')).status).toBe(200);
    expect(flood.filter((held) => !held.isClosed())).toHaveLength(4);
  });

  it('holds at most handshakeLimit in progress; the API and connected agents carry on, new agents get in once it frees', async () => {
    const port = await service((req, res) => void res.end(`ok ${req.url}`));
    const t = await tower({ tlsHandshakeTimeout: LONG, handshakeLimit: 8, handshakeLimitPerAddress: 4 });
    await agent(t.boltUrl, 'early', [port]);
    await announced(t, 'early');

    const first = await silentFlood(t.boltAddress.port, 4, '127.0.0.2');
    const second = await silentFlood(t.boltAddress.port, 4, '127.0.0.3');
    // The listener is full: a third address is dropped at once, although it is under its own cap.
    await closedCount(await silentFlood(t.boltAddress.port, 3, '127.0.0.4'), 3);
    const late = await agent(t.boltUrl, 'late', [port]);
    const retries = collect(late, 'retrying');
    await eventually(() => retries.length >= 2);
    expect(t.table.get('late')).toBeUndefined();

    expect((await api(t, '/health')).status).toBe(200);
    const relayed = await api(t, `/proxy/early@${port}/during-flood`);
    expect(await relayed.text()).toBe('ok /during-flood');

    for (const held of first) held.socket.destroy();
    await announced(t, 'late');
    expect(second.every((held) => !held.isClosed())).toBe(true);
  });

  it('caps the legacy port too, and logs a dropped address once', async () => {
    const legacy = await legacyTower(
      {},
      { preAuth: { handshakeTimeoutMs: LONG * 1000, limit: 8, limitPerAddress: 2 } },
    );
    const flood = await silentFlood(legacy.legacy.address.port, 6, '127.0.0.2');
    await closedCount(flood, 4);

    await legacyAgent(legacy, 'beside-flood', [5000]);
    await legacyAnnounced(legacy, 'beside-flood');
    expect(flood.filter((held) => !held.isClosed())).toHaveLength(2);
    const dropped = legacy.logs.filter((line) => line.limit === 'handshakeLimitPerAddress');
    expect(dropped).toEqual([expect.objectContaining({ remote: '127.0.0.2', listener: 'legacy' })]);
  });
});
