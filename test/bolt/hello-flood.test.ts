/**
 * A bolt that floods the tower with Hellos, identical or changing, costs the tower a bounded number
 * of log lines and capability events whatever it sends, and the last capability it sent still wins.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, joinFrames } from '../../src/bolt/protocol/codec.js';
import { FrameType } from '../../src/bolt/protocol/frames.js';
import { api, closeAll, eventually, helloMessage, rawBolt, tower } from '../helpers/harness.js';
import { captureLog } from '../helpers/log-capture.js';

afterEach(closeAll);

const INTERVAL_MS = 200;

const helloFrame = (ports: readonly number[]) =>
  encodeFrame(FrameType.Hello, 0, 0, Buffer.from(JSON.stringify({ v: 1, ports, agent: 'flooder' })));

/** Every capability the tower's bolt table announced for `cname`, in order. */
function capabilityEvents(t: Awaited<ReturnType<typeof tower>>, cname: string): (readonly number[])[] {
  const seen: (readonly number[])[] = [];
  t.table.on('capability', (bolt) => {
    if (bolt.cname === cname) seen.push(bolt.ports ?? []);
  });
  return seen;
}

describe('Hello flood', () => {
  it('coalesces thousands of Hellos: bounded log lines and events, and the last one sent wins', async () => {
    const { log, lines } = captureLog();
    const t = await tower({ capabilityInterval: INTERVAL_MS / 1000 }, log);
    const events = capabilityEvents(t, 'flood');
    const socket = await rawBolt(t, 'flood', [1000]);
    const started = Date.now();

    // 10,000 Hellos in 100 messages: runs of one repeated list, and messages where every Hello differs.
    let sent = 1;
    for (let m = 0; m < 100; m++) {
      const frames = [];
      for (let i = 0; i < 100; i++) {
        const ports = m % 3 === 0 ? [2000 + ((m * 100 + i) % 5000)] : [3000 + (m % 7)];
        frames.push(helloFrame(ports));
      }
      socket.send(joinFrames(frames));
      sent += frames.length;
    }
    socket.send(helloMessage([4242, 4243]));
    sent++;

    const bolt = await eventually(() => {
      const current = t.table.get('flood');
      return current?.ports?.join() === '4242,4243' ? current : undefined;
    });
    const elapsed = Date.now() - started;
    expect(sent).toBe(10_002);
    // The first Hello at once, then at most one change per interval while the flood lasted.
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.length).toBeLessThanOrEqual(2 + Math.ceil(elapsed / INTERVAL_MS));
    expect(events.at(-1)).toEqual([4242, 4243]);
    expect(bolt.isOpen).toBe(true);
    expect(await (await api(t, '/clients/flood')).json()).toMatchObject({ ports: [4242, 4243] });

    // One info line for the first capability, one (rate-limited) line for the changes.
    const about = lines.filter((line) => line.cname === 'flood');
    const capabilityLines = about.filter((line) => String(line.msg).startsWith('bolt capability'));
    expect(capabilityLines.map((line) => [line.level, line.msg])).toEqual([
      [30, 'bolt capability'],
      [30, 'bolt capability changed'],
    ]);
    expect(about.length).toBeLessThanOrEqual(3);
  });

  it('treats a Hello identical to the current capability as a no-op: no event, no log line', async () => {
    const { log, lines } = captureLog();
    const t = await tower({ capabilityInterval: INTERVAL_MS / 1000 }, log);
    const events = capabilityEvents(t, 'echo');
    const socket = await rawBolt(t, 'echo', [1000, 1001]);
    const frames = Array.from({ length: 1000 }, () => helloFrame([1000, 1001]));
    for (let m = 0; m < 5; m++) socket.send(joinFrames(frames));
    // A change after them, so the test knows they were all read.
    socket.send(helloMessage([1002]));
    await eventually(() => t.table.get('echo')?.ports?.join() === '1002');
    expect(events).toEqual([[1000, 1001], [1002]]);
    expect(
      lines.filter((line) => line.cname === 'echo' && String(line.msg).startsWith('bolt capability')),
    ).toHaveLength(2);
  });
});
