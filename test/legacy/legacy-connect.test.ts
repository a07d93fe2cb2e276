/**
 * A stormbolt 0.4.3 agent connecting unchanged: the capability exchange both ways and beacons,
 * exactly as the wire protocol's example 1 shows, then `/clients`, `/minions` and the fixture's
 * checksum after the tower's first `/status` poll through the legacy relay.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { api, closeAll, eventually, service } from '../helpers/harness.js';
import { framesOf, legacyAgent, legacyAnnounced, legacyTower } from './legacy-harness.js';

afterEach(closeAll);

const FIXTURE = new URL('../fixtures/stormflash-status.json', import.meta.url);
const FIXTURE_ID = '30a2a131-f812-4666-bb69-c443f7e3a901';
const FIXTURE_CHECKSUM = '07a6525c60d530a9870d89d9f1ad1091';

/** A stormflash stand-in: `/status` answers the fixture, pretty-printed as the real agent does. */
async function stormflash(): Promise<{ port: number; body: string }> {
  const body = await readFile(FIXTURE, 'utf8');
  const port = await service((req, res) => {
    if (req.url !== '/status') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-powered-by': 'Zappa 0.4.22' });
    res.end(body);
  });
  return { port, body };
}

describe('a legacy agent connects', () => {
  it('exchanges capabilities both ways, then beacons', async () => {
    const legacy = await legacyTower();
    const agent = await legacyAgent(legacy, 'alpha', [5000]);
    expect(await new Promise((resolve) => agent.once('ready', resolve))).toBe('5000,8000');
    await legacyAnnounced(legacy, 'alpha');
    await eventually(() => agent.beaconReplies >= 2);

    // The tower's capability stream: opened read-only, so it arrives as writable-not-readable.
    const [capability] = framesOf(agent, 'new', 'capability');
    expect(capability).toEqual([
      expect.any(String),
      'new',
      { meta: 'capability', opts: { writable: true, readable: false } },
    ]);
    const capabilityId = capability?.[0] as string;
    expect(capabilityId).toMatch(/^[0-9a-f]{25,}$/);
    // The answer to the agent's own capability: data, end, close, in that order, and nothing else.
    const answerId = agent.frames.find((frame) => frame[1] === 'data' && frame[2] === '5000,8000')?.[0];
    expect(agent.frames.filter((frame) => frame[0] === answerId)).toEqual([
      [answerId, 'data', '5000,8000'],
      [answerId, 'end'],
      [answerId, 'close'],
    ]);
    // The tower closes its capability stream once, after the agent's end; it never writes or ends it.
    await eventually(() => framesOf(agent, 'close').some((frame) => frame[0] === capabilityId));
    expect(agent.frames.filter((frame) => frame[0] === capabilityId).map((frame) => frame[1])).toEqual([
      'new',
      'close',
    ]);

    const [beacon] = framesOf(agent, 'new', 'beacon');
    expect(beacon).toEqual([
      expect.any(String),
      'new',
      { meta: 'beacon', opts: { writable: true, readable: true } },
    ]);
    const replies = agent.frames.filter((frame) => frame[0] === beacon?.[0] && frame[1] === 'data');
    expect(replies.every((frame) => frame[2] === 'beacon:reply')).toBe(true);
    // Ids are distinct, and never a blank line or an error frame.
    const ids = framesOf(agent, 'new').map((frame) => frame[0]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(framesOf(agent, 'error')).toEqual([]);
  });

  it('is listed in /clients as legacy and in /minions with the fixture checksum', async () => {
    const { port, body } = await stormflash();
    const legacy = await legacyTower({ statusPort: 5000 });
    const agent = await legacyAgent(legacy, FIXTURE_ID, [5000], { forward: { 5000: port } });
    await legacyAnnounced(legacy, FIXTURE_ID);

    const clients = (await (await api(legacy.t, '/clients')).json()) as {
      cname: string;
      transport: string;
      ports: number[];
    }[];
    expect(clients).toEqual([
      expect.objectContaining({
        cname: FIXTURE_ID,
        transport: 'legacy',
        ports: [5000],
        address: '127.0.0.1',
      }),
    ]);

    // The tower's own poll relays `GET /status` over `relay:5000` and registers the minion.
    const head = await eventually(async () => {
      const res = await api(legacy.t, `/minions/${FIXTURE_ID}`, { method: 'HEAD' });
      return res.status === 200 ? res : undefined;
    });
    expect(head.headers.get('content-md5')).toBe(FIXTURE_CHECKSUM);
    // The poll's preamble is exactly the original tower's, with no `data` key.
    const [poll] = framesOf(agent, 'new', 'relay:5000');
    expect(agent.frames.find((frame) => frame[0] === poll?.[0] && frame[1] === 'data')?.[2]).toBe(
      '{"method":"GET","url":"/status"}',
    );
    const minion = await (await api(legacy.t, `/minions/${FIXTURE_ID}`)).json();
    expect(minion).toEqual(JSON.parse(body));

    // The same document through /proxy, byte for byte (the agent's text passes through unchanged).
    const proxied = await api(legacy.t, `/proxy/${FIXTURE_ID}@5000/status`);
    expect(proxied.status).toBe(200);
    expect(proxied.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(proxied.headers.get('x-powered-by')).toBe('Zappa 0.4.22');
    expect(await proxied.text()).toBe(body);
  });
});
