/**
 * `/clients` and legacy connections: as in the old tower, a legacy agent is a client only once its
 * capability arrived, in `GET` and in `HEAD`'s checksum alike; the checksum keeps the documented
 * sorted form (not the old tower's connect order).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clientsChecksum } from '../../src/api/routes/clients.js';
import { api, closeAll, eventually } from '../helpers/harness.js';
import { legacyAgent, legacyAnnounced, legacyTower } from './legacy-harness.js';

afterEach(closeAll);

const cnames = async (legacy: Awaited<ReturnType<typeof legacyTower>>) =>
  ((await (await api(legacy.t, '/clients')).json()) as { cname: string }[]).map((client) => client.cname);
const head = async (legacy: Awaited<ReturnType<typeof legacyTower>>) =>
  (await api(legacy.t, '/clients', { method: 'HEAD' })).headers.get('content-md5');

describe('/clients with legacy agents', () => {
  it('lists a legacy agent only once its capability arrived, and hashes the sorted cnames', async () => {
    const legacy = await legacyTower({ capabilityTimeout: 30 });
    // Connected, but its capability never comes: not a client yet.
    await legacyAgent(legacy, 'mute', [1234], { answerCapability: false, openCapability: false });
    await eventually(() => legacy.t.table.get('mute'));
    expect(await cnames(legacy)).toEqual([]);
    expect(await head(legacy)).toBe(clientsChecksum([]));
    expect((await api(legacy.t, '/clients/mute')).status).toBe(404);

    // Connected in this order, hashed in cname order.
    await legacyAgent(legacy, 'zulu', [1234]);
    await legacyAnnounced(legacy, 'zulu');
    await legacyAgent(legacy, 'alpha', [1234]);
    await legacyAnnounced(legacy, 'alpha');
    expect(await cnames(legacy)).toEqual(['alpha', 'zulu']);
    expect(await head(legacy)).toBe(clientsChecksum([{ cname: 'alpha' }, { cname: 'zulu' }]));
    expect((await api(legacy.t, '/clients/zulu')).status).toBe(200);
  });
});
