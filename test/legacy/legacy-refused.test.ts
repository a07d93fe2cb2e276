/**
 * A refused local port through a 0.4.3 agent: it answers `{"statusCode":500,"headers":null}` and ends,
 * which the tower turns into the 502 `upstream-unreachable` a WebSocket bolt gives for the same port.
 * Only that exact shape: a real 500 from the agent's service, or a headerless 500 that brings a body,
 * passes through as a 500.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ApiErrorBody,
  agent,
  announced,
  api,
  closeAll,
  eventually,
  freePort,
  service,
} from '../helpers/harness.js';
import { framesOf, type LegacyTower, legacyAgent, legacyAnnounced, legacyTower } from './legacy-harness.js';

afterEach(closeAll);

const idle = (legacy: LegacyTower) => eventually(() => legacy.t.table.get('alpha')?.openStreams === 0);

const errorOf = async (res: Response) => ({
  status: res.status,
  type: res.headers.get('content-type'),
  body: (await res.json()) as ApiErrorBody,
});

describe('a refused local port behind a legacy agent', () => {
  it('answers 502 upstream-unreachable, as a WebSocket bolt does for the same port', async () => {
    const down = await freePort();
    const legacy = await legacyTower();
    await legacyAgent(legacy, 'alpha', [down]);
    await legacyAnnounced(legacy, 'alpha');
    await agent(legacy.t.boltUrl, 'beta', [down]);
    await announced(legacy.t, 'beta');

    const post = (cname: string) =>
      api(legacy.t, `/proxy/${cname}@${down}/packages`, {
        method: 'POST',
        body: '{"name":"x"}',
        headers: { 'content-type': 'application/json' },
      });
    const viaLegacy = await errorOf(await post('alpha'));
    const viaBolt = await errorOf(await post('beta'));
    expect(viaLegacy).toEqual({
      status: 502,
      type: 'application/json; charset=utf-8',
      body: { error: 'upstream-unreachable', message: expect.stringContaining(`port ${down}`) },
    });
    expect({ ...viaLegacy, body: { ...viaLegacy.body, message: '' } }).toEqual({
      ...viaBolt,
      body: { ...viaBolt.body, message: '' },
    });
    await idle(legacy);
  });

  it("passes a real 500 from the agent's service through, headers and empty body included", async () => {
    const failing = await service((_req, res) => {
      res.writeHead(500, { 'x-service': 'stormflash' });
      res.end();
    });
    const legacy = await legacyTower();
    await legacyAgent(legacy, 'alpha', [failing]);
    await legacyAnnounced(legacy, 'alpha');
    const res = await api(legacy.t, `/proxy/alpha@${failing}/packages/abc`, { method: 'DELETE' });
    expect(res.status).toBe(500);
    expect(res.headers.get('x-service')).toBe('stormflash');
    expect(await res.text()).toBe('');
    await idle(legacy);
  });

  it('passes a headerless 500 that brings a body through as a 500', async () => {
    const legacy = await legacyTower();
    const legacyPeer = await legacyAgent(legacy, 'alpha', [7000], { ignoreRelays: true });
    await legacyAnnounced(legacy, 'alpha');
    const pending = api(legacy.t, '/proxy/alpha@7000/');
    const opened = await eventually(() => framesOf(legacyPeer, 'new', 'relay:7000')[0]);
    const frame = (...rest: unknown[]) => `${JSON.stringify([opened[0], ...rest])}\n`;
    legacyPeer.sendRaw(
      frame('data', JSON.stringify({ statusCode: 500, headers: null })) +
        frame('data', 'the service said no') +
        frame('end'),
    );
    const res = await pending;
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('the service said no');
    await idle(legacy);
  });
});
