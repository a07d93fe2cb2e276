/**
 * The X-Forwarded-* fields an agent's service sees are the tower's own: what a client claims about
 * itself is dropped, unless the client is a proxy named in `--trust-proxy`, whose chain is kept and
 * extended. The same for `/proxy` and the `stormbolt-target` header relay.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { agent, announced, api, closeAll, service, tower } from '../helpers/harness.js';

afterEach(closeAll);

type Seen = Record<string, string | string[] | undefined>;

async function setup(trustProxy?: string[]) {
  const port = await service((req, res) => res.end(JSON.stringify(req.headers)));
  const t = await tower({ headerRelay: true, ...(trustProxy ? { trustProxy } : {}) });
  await agent(t.boltUrl, 'alpha', [port]);
  await announced(t, 'alpha');
  const both = async (headers: Record<string, string>): Promise<Seen[]> => [
    (await (await api(t, `/proxy/alpha@${port}/h`, { headers })).json()) as Seen,
    (await (
      await api(t, '/h', { headers: { ...headers, 'stormbolt-target': `alpha:${port}` } })
    ).json()) as Seen,
  ];
  return { both };
}

const CLAIMS = {
  'x-forwarded-for': '203.0.113.9',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'evil.example',
  forwarded: 'for=203.0.113.9;proto=https',
  'x-real-ip': '203.0.113.9',
};

describe('forwarding fields', () => {
  it("drops a client's own claims and sends the tower's", async () => {
    const { both } = await setup();
    for (const seen of await both(CLAIMS)) {
      expect(seen['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen['x-forwarded-proto']).toBe('http');
      expect(seen).not.toHaveProperty('x-forwarded-host');
      expect(seen).not.toHaveProperty('forwarded');
      expect(seen).not.toHaveProperty('x-real-ip');
    }
  });

  it('keeps the chain of a trusted proxy and appends its address', async () => {
    const { both } = await setup(['127.0.0.1']);
    for (const seen of await both(CLAIMS)) {
      expect(seen['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
      expect(seen['x-forwarded-proto']).toBe('https');
      expect(seen['x-forwarded-host']).toBe('evil.example');
      expect(seen.forwarded).toBe('for=203.0.113.9;proto=https');
      expect(seen['x-real-ip']).toBe('203.0.113.9');
    }
    // A trusted proxy that sends no chain gets the tower's own fields.
    for (const seen of await both({})) {
      expect(seen['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen['x-forwarded-proto']).toBe('http');
    }
  });

  it('trusts only the addresses listed', async () => {
    const { both } = await setup(['192.0.2.1', '::2']);
    for (const seen of await both(CLAIMS)) {
      expect(seen['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen['x-forwarded-proto']).toBe('http');
      expect(seen).not.toHaveProperty('forwarded');
    }
  });
});
