/**
 * A deployed agent that floods its capability channel with port lists costs the tower a bounded
 * number of log lines and capability events, and the last list it sent still wins.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, eventually } from '../helpers/harness.js';
import { framesOf, legacyAgent, legacyAnnounced, legacyTower } from './legacy-harness.js';

afterEach(closeAll);

describe('legacy capability flood', () => {
  it('coalesces thousands of port lists: bounded log lines and events, and the last one sent wins', async () => {
    const legacy = await legacyTower({ capabilityInterval: 0.2 });
    const events: (readonly number[])[] = [];
    legacy.t.table.on('capability', (bolt) => {
      if (bolt.cname === 'chatty') events.push(bolt.ports ?? []);
    });
    // It leaves the tower's capability stream open, to write on it by hand, and does not give up on
    // beacon replies that a busy test machine delays while the tower reads the flood.
    const chatty = await legacyAgent(legacy, 'chatty', [1000], {
      answerCapability: false,
      beaconRetry: 1000,
    });
    const stream = await eventually(() => framesOf(chatty, 'new', 'capability')[0]?.[0]);
    const line = (ports: string) => `${JSON.stringify([stream, 'data', ports])}\n`;
    chatty.sendRaw(line('1000'));
    await legacyAnnounced(legacy, 'chatty');

    const started = Date.now();
    let text = '';
    for (let i = 0; i < 5000; i++) text += line(i % 4 === 0 ? '1000' : String(2000 + (i % 3000)));
    chatty.sendRaw(text + line('4242,4243'));
    await eventually(() => legacy.t.table.get('chatty')?.ports?.join() === '4242,4243');

    // The first list at once, then at most one change per interval while the flood lasted.
    expect(events.at(-1)).toEqual([4242, 4243]);
    expect(events.length).toBeLessThanOrEqual(2 + Math.ceil((Date.now() - started) / 200));
    const capabilityLines = legacy.logs.filter(
      (entry) => entry.cname === 'chatty' && String(entry.msg).startsWith('legacy bolt capability'),
    );
    expect(capabilityLines.map((entry) => [entry.level, entry.msg])).toEqual([
      [30, 'legacy bolt capability'],
      [30, 'legacy bolt capability changed'],
    ]);
  });
});
