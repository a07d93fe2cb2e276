/**
 * `GET /clients` carries a weak ETag over its whole body, answers a matching `If-None-Match` with a
 * bodiless 304, and changes its tag when a bolt connects: against a real tower and real agents.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { agent, announced, api, closeAll, eventually, tower } from '../helpers/harness.js';

afterEach(closeAll);

describe('GET /clients ETag', () => {
  it('answers 304 while nothing changed, and a new tag once a bolt connects', async () => {
    const t = await tower();
    await agent(t.boltUrl, 'alpha', [8000]);
    await announced(t, 'alpha');
    // The first poll (of a port the agent does not offer) fails soon after the connect and sets
    // lastError, which changes the body; the next is a monitor interval away. Tag after it.
    await eventually(async () => {
      const [client] = (await (await api(t, '/clients')).json()) as { lastError: unknown }[];
      return client?.lastError !== null && client?.lastError !== undefined;
    });
    const first = await api(t, '/clients');
    expect(first.status).toBe(200);
    const tag = first.headers.get('etag') ?? '';
    expect(tag).toMatch(/^W\/"[0-9a-f]{32}"$/);
    await first.arrayBuffer();

    const head = await api(t, '/clients', { method: 'HEAD' });
    expect(head.headers.get('etag')).toBe(tag);
    for (const ifNoneMatch of [tag, tag.slice(2), `"other", ${tag}`, '*']) {
      const same = await api(t, '/clients', { headers: { 'if-none-match': ifNoneMatch } });
      expect(same.status).toBe(304);
      expect(await same.text()).toBe('');
      expect(same.headers.get('etag')).toBe(tag);
      expect(same.headers.get('content-md5')).toBe(head.headers.get('content-md5'));
    }

    await agent(t.boltUrl, 'bravo', [8001]);
    await announced(t, 'bravo');
    const changed = await api(t, '/clients', { headers: { 'if-none-match': tag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(tag);
    expect(((await changed.json()) as { cname: string }[]).map(({ cname }) => cname)).toEqual([
      'alpha',
      'bravo',
    ]);
  });
});
