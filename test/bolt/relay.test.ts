import { afterEach, describe, expect, it } from 'vitest';
import { agent, announced, closeAll, service, tower } from '../helpers/harness.js';

afterEach(closeAll);

describe('relay through a bolt', () => {
  it('relays a GET with its query string and headers', async () => {
    const port = await service((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, test: req.headers['x-test'] }));
    });
    const t = await tower();
    await agent(t.boltUrl, 'alpha', [port]);
    await announced(t, 'alpha');
    const res = await fetch(`${t.apiUrl}/proxy/alpha@${port}/hello/world?x=1&y=2`, { headers: { 'x-test': 'yes' } });
    if (res.status !== 200) console.log(await res.text());
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ method: 'GET', url: '/hello/world?x=1&y=2', test: 'yes' });
  });
});
