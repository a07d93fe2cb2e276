/**
 * A hostile or broken legacy agent: a blank line, a line that is not JSON, an oversized line or a
 * flood of `new` frames closes that agent's connection, with a log line naming it, while the tower,
 * another legacy agent and a WebSocket agent go on untouched. Lines that parse but are no frame
 * are dropped silently, as mux-demux drops them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, announced, api, closeAll, eventually, service } from '../helpers/harness.js';
import type { LegacyAgent } from './legacy-agent.js';
import { type LegacyTower, legacyAgent, legacyAnnounced, legacyTower } from './legacy-harness.js';

let legacy: LegacyTower;
let port: number;
let good: LegacyAgent;
let wsDrops = 0;
const closes: { cname: string; reason: string }[] = [];

beforeAll(async () => {
  port = await service((req, res) => res.end(`good ${req.url}`));
  legacy = await legacyTower();
  legacy.t.table.on('closed', (bolt, { reason }) => closes.push({ cname: bolt.cname, reason }));
  good = await legacyAgent(legacy, 'legacy-good', [port]);
  const ws = await agent(legacy.t.boltUrl, 'ws-good', [port]);
  ws.on('disconnected', () => wsDrops++);
  await Promise.all([legacyAnnounced(legacy, 'legacy-good'), announced(legacy.t, 'ws-good')]);
});
afterAll(closeAll);

const MIB = 1024 * 1024;
const newFrame = (i: number) =>
  `${JSON.stringify([`flood${i}`, 'new', { meta: 'x', opts: { writable: true, readable: true } }])}\n`;

const badInputs: [string, string | Buffer, string][] = [
  ['a blank line', '\n', 'LEGACY_ERR_INVALID_JSON'],
  ['a line of spaces', '   \n', 'LEGACY_ERR_INVALID_JSON'],
  ['a line of invalid JSON', '["abc","data",\n', 'LEGACY_ERR_INVALID_JSON'],
  ['a line of invalid UTF-8 and JSON', Buffer.from([0xff, 0xfe, 0x0a]), 'LEGACY_ERR_INVALID_JSON'],
  ['an oversized line', `["x","data","${'a'.repeat(MIB)}"]\n`, 'LEGACY_ERR_LINE_TOO_LONG'],
  ['an oversized line with no newline yet', 'b'.repeat(MIB + 1), 'LEGACY_ERR_LINE_TOO_LONG'],
  [
    'a flood of new frames',
    Array.from({ length: 300 }, (_, i) => newFrame(i)).join(''),
    'LEGACY_ERR_TOO_MANY_STREAMS',
  ],
];

/** The good peers are still there and still relay. */
async function othersUntouched() {
  for (const cname of ['legacy-good', 'ws-good']) {
    const res = await api(legacy.t, `/proxy/${cname}@${port}/still`);
    expect(await res.text()).toBe('good /still');
  }
  expect(good.connected).toBe(true);
  expect(good.dials).toBe(1);
  expect(wsDrops).toBe(0);
  expect(closes.filter(({ cname }) => cname.endsWith('-good'))).toEqual([]);
}

describe('bad input on a legacy bolt', () => {
  it.each(badInputs)('%s closes that connection only', async (_what, input, error) => {
    const cname = `bad-${closes.length}-${Math.random().toString(16).slice(2, 8)}`;
    const bad = await legacyAgent(legacy, cname, [port]);
    await legacyAnnounced(legacy, cname);
    const dropped = bad.closed();
    bad.sendRaw(input);
    await dropped;
    await eventually(() => legacy.t.table.get(cname) === undefined);
    expect(closes).toContainEqual({ cname, reason: 'protocol' });
    const line = await eventually(() =>
      legacy.logs.find((entry) => entry.cname === cname && entry.error === error),
    );
    expect(line).toMatchObject({
      level: 40,
      msg: 'legacy bolt closed: bad input',
      reason: expect.any(String),
    });
    await othersUntouched();
  });

  it('drops lines that parse but are not frames, as mux-demux does, and stays up', async () => {
    const cname = 'odd-but-harmless';
    const odd = await legacyAgent(legacy, cname, [port]);
    await legacyAnnounced(legacy, cname);
    odd.sendRaw(
      [
        '{"an":"object"}',
        '42',
        '"a string"',
        'null',
        '[]',
        '["only-id"]',
        '[1,"new",{}]',
        '["__proto__","new",{"meta":"capability"}]',
        '["id","__proto__"]',
        '["unknown-id","data","ignored"]',
        '["unknown-id","close"]',
        '["unknown-id","end"]',
        '["odd","new"]', // no payload: an unlabelled stream, ended at once
      ]
        .map((line) => `${line}\n`)
        .join(''),
    );
    await eventually(() => odd.frames.some((frame) => frame[0] === 'odd' && frame[1] === 'close'));
    expect(odd.frames.filter((frame) => frame[0] === 'odd')).toEqual([
      ['odd', 'end'],
      ['odd', 'close'],
    ]);
    const res = await api(legacy.t, `/proxy/${cname}@${port}/odd`);
    expect(await res.text()).toBe('good /odd');
    expect(odd.connected).toBe(true);
    expect(closes.filter((entry) => entry.cname === cname)).toEqual([]);
    await othersUntouched();
  });
});
