/**
 * Who may open a bolt: only agents whose certificate chains to the tower's CA, is in date, and
 * carries a valid cname; only on `/bolt`. Refused peers never reach the table, and a good agent
 * keeps working while they knock.
 */
import https from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import {
  agent,
  announced,
  api,
  closeAll,
  collect,
  eventually,
  rawOutcome,
  rawSocket,
  service,
  tower,
} from '../helpers/harness.js';
import type { CertKey } from '../helpers/pki.js';
import { testPki } from '../helpers/pki.js';

afterEach(closeAll);

const echo = () =>
  service((req, res) => {
    res.end(`ok ${req.url}`);
  });

describe('bolt mTLS', () => {
  it('refuses a peer without a client certificate during TLS', async () => {
    const t = await tower();
    const outcome = await rawOutcome(await rawSocket(t, { identity: null }));
    expect(outcome).toHaveProperty('error');
    expect(t.table.size).toBe(0);
  });

  it.each<[string, (pki: Awaited<ReturnType<typeof testPki>>) => CertKey, string]>([
    ['another CA', (pki) => pki.otherCaClient, 'intruder'],
    ['an expired certificate', (pki) => pki.expiredClient, 'expired'],
  ])('refuses a raw peer with %s during TLS', async (_what, pick, cname) => {
    const t = await tower();
    const outcome = await rawOutcome(await rawSocket(t, { identity: pick(await testPki()) }));
    expect(outcome).toHaveProperty('error');
    expect(t.table.get(cname)).toBeUndefined();
    expect(t.table.size).toBe(0);
  });

  it('refuses a certificate whose CN is not a valid cname with 403 before any WebSocket', async () => {
    const t = await tower();
    const outcome = await rawOutcome(await rawSocket(t, { identity: (await testPki()).badCnClient }));
    expect(outcome).toEqual({ status: 403 });
    expect(t.table.size).toBe(0);
  });

  it('refuses a valid certificate on a wrong path with 404', async () => {
    const t = await tower();
    const outcome = await rawOutcome(await rawSocket(t, { cname: 'lost', path: '/nope' }));
    expect(outcome).toEqual({ status: 404 });
    expect(t.table.size).toBe(0);
  });

  it('answers a plain HTTPS GET on the bolt port with 426', async () => {
    const t = await tower();
    const pki = await testPki();
    const client = await pki.client('curious');
    const { status, upgrade, body } = await new Promise<{ status?: number; upgrade?: string; body: string }>(
      (resolve, reject) => {
        const request = https.get(
          `https://127.0.0.1:${t.boltAddress.port}/bolt`,
          { ca: pki.ca, cert: client.cert, key: client.key, agent: false },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              text += chunk;
            });
            res.on('end', () =>
              resolve({ status: res.statusCode, upgrade: res.headers.upgrade, body: text }),
            );
          },
        );
        request.on('error', reject);
      },
    );
    expect(status).toBe(426);
    expect(upgrade).toBe('websocket');
    expect(body).toContain('/bolt');
    expect(t.table.size).toBe(0);
  });

  it('keeps a good agent connected and relaying while refused agents keep retrying', async () => {
    const t = await tower();
    const pki = await testPki();
    const port = await echo();
    const good = await agent(t.boltUrl, 'good', [port]);
    const goodDrops = collect(good, 'disconnected');
    await announced(t, 'good');

    const bad = await Promise.all(
      [pki.otherCaClient, pki.expiredClient, pki.badCnClient].map(async (identity, i) => {
        const client = await agent(t.boltUrl, `bad-${i}`, [port], {
          identity,
          minBackoff: 0.02,
          maxBackoff: 0.05,
        });
        return { client, connects: collect(client, 'connected'), retries: collect(client, 'retrying') };
      }),
    );

    // While the refused agents retry, the good one relays, again and again.
    let relayed = 0;
    await eventually(async () => {
      const res = await api(t, `/proxy/good@${port}/ping?n=${relayed}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(`ok /ping?n=${relayed}`);
      relayed++;
      return bad.every(({ retries }) => retries.length >= 3);
    });

    for (const { connects, retries } of bad) {
      expect(connects).toEqual([]);
      for (const { error } of retries) expect(error.message).not.toMatch(/^bolt closed/);
    }
    // The bad CN gets past TLS and is refused by the upgrade handler, with its status.
    expect(bad[2]?.retries[0]?.error.message).toContain('HTTP 403');
    const listed = (await (await api(t, '/clients')).json()) as { cname: string }[];
    expect(listed.map(({ cname }) => cname)).toEqual(['good']);
    expect(goodDrops).toEqual([]);
    expect(good.connected).toBe(true);
    expect(relayed).toBeGreaterThan(0);
  });
});
