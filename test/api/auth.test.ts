/**
 * The bearer token: required on every route when configured, and kept on the tower's side of a
 * relay so a minion's local service never learns it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningTower } from '../../src/tower.js';
import { type ApiErrorBody, agent, announced, api, closeAll, service, tower } from '../helpers/harness.js';

afterEach(closeAll);

const TOKEN = 'correct horse battery staple';

/** A service that reports the headers it was sent. */
const headerEcho = () =>
  service((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.headers));
  });

const expectUnauthorized = async (res: Response) => {
  expect(res.status).toBe(401);
  expect((await res.json()) as ApiErrorBody).toEqual({ error: 'unauthorized', message: expect.any(String) });
};

async function guardedTower(): Promise<{ t: RunningTower; port: number }> {
  const port = await headerEcho();
  const t = await tower({ apiToken: TOKEN });
  await agent(t.boltUrl, 'alpha', [port]);
  await announced(t, 'alpha');
  return { t, port };
}

describe('bearer token', () => {
  it('refuses every route without the token, or with a wrong one', async () => {
    const { t, port } = await guardedTower();
    for (const path of ['/health', '/clients', '/clients/alpha', `/proxy/alpha@${port}/`, '/no-such-route']) {
      await expectUnauthorized(await api(t, path));
      await expectUnauthorized(await api(t, path, { headers: { authorization: 'Bearer wrong' } }));
      await expectUnauthorized(await api(t, path, { headers: { authorization: `Bearer ${TOKEN}x` } }));
      await expectUnauthorized(await api(t, path, { headers: { authorization: `Basic ${TOKEN}` } }));
      await expectUnauthorized(await api(t, path, { headers: { authorization: TOKEN } }));
    }
  });

  it('lets the right token through', async () => {
    const { t, port } = await guardedTower();
    const headers = { authorization: `Bearer ${TOKEN}` };
    expect((await api(t, '/health', { headers })).status).toBe(200);
    const clients = await api(t, '/clients', { headers });
    expect(clients.status).toBe(200);
    expect(((await clients.json()) as { cname: string }[]).map(({ cname }) => cname)).toEqual(['alpha']);
    expect((await api(t, '/clients', { method: 'HEAD', headers })).status).toBe(200);
    expect((await api(t, `/proxy/alpha@${port}/`, { headers })).status).toBe(200);
  });

  it('does not forward the token to the minion', async () => {
    const { t, port } = await guardedTower();
    const res = await api(t, `/proxy/alpha@${port}/whoami`, {
      method: 'POST',
      body: 'hi',
      headers: { authorization: `Bearer ${TOKEN}`, 'x-other': 'kept' },
    });
    expect(res.status).toBe(200);
    const seen = (await res.json()) as Record<string, string>;
    expect(seen).not.toHaveProperty('authorization');
    expect(JSON.stringify(seen)).not.toContain(TOKEN);
    expect(seen['x-other']).toBe('kept');
  });

  it("without a token configured, needs none and relays the client's own Authorization", async () => {
    const port = await headerEcho();
    const t = await tower();
    await agent(t.boltUrl, 'alpha', [port]);
    await announced(t, 'alpha');
    expect((await api(t, '/health')).status).toBe(200);
    const res = await api(t, `/proxy/alpha@${port}/`, {
      headers: { authorization: 'Bearer for-the-service' },
    });
    expect(((await res.json()) as Record<string, string>).authorization).toBe('Bearer for-the-service');
  });
});
