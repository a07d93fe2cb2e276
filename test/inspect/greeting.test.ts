import type { StatelyInspectionEvent } from '@statelyai/inspect';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { createFleetView } from '../../src/inspect/fleet-view.js';
import { type InspectorBridge, startInspectorBridge } from '../../src/inspect/inspector-bridge.js';

const FLEET = 10_000;
const base = { _version: '0', createdAt: '0', id: '', rootId: 'x:0' };
// About the size of the minion machine's serialized definition.
const DEFINITION = JSON.stringify({ id: 'minion', pad: 'x'.repeat(3_000) });

function fleetOf(size: number) {
  const view = createFleetView();
  const feed = (event: StatelyInspectionEvent) => view.record(event, JSON.stringify(event));
  const register = (sessionId: string, parentId?: string) =>
    feed({
      ...base,
      type: '@xstate.actor',
      name: sessionId,
      sessionId,
      parentId,
      definition: DEFINITION,
      snapshot: { status: 'active' },
    });
  register('tower');
  register('shard', 'tower');
  for (let i = 0; i < size; i += 1) {
    register(`minion:m${i}`, 'shard');
    feed({
      ...base,
      type: '@xstate.snapshot',
      sessionId: `minion:m${i}`,
      event: { type: 'status.received' },
      snapshot: { status: 'active', output: undefined, error: undefined },
    });
  }
  return view;
}

let bridge: InspectorBridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe('the greeting', () => {
  it('sends a late browser the whole 10,000-minion fleet in paced batches, then the live messages', async () => {
    const view = fleetOf(FLEET);
    bridge = await startInspectorBridge({ port: 0, host: '127.0.0.1', greeting: () => view.greeting() });
    const socket = new WebSocket(`http://127.0.0.1:${bridge.port}/`);
    const received: string[] = [];
    let bytes = 0;
    const total = 2 * FLEET + 1 + 1;
    const done = new Promise<void>((resolve) =>
      socket.on('message', (data) => {
        const message = String(data);
        received.push(message === 'LIVE' ? message : (JSON.parse(message) as { type: string }).type);
        bytes += message.length;
        if (received.length === total) resolve();
      }),
    );
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    // While the greeting goes out, the tower's loop keeps turning.
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns += 1;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    bridge.broadcast('LIVE');
    await done;
    ticking = false;

    expect(received.filter((type) => type === '@xstate.actor')).toHaveLength(FLEET + 1);
    expect(received.filter((type) => type === '@xstate.snapshot')).toHaveLength(FLEET);
    expect(received.at(-1)).toBe('LIVE');
    expect(bytes).toBeGreaterThan(FLEET * DEFINITION.length);
    expect(turns).toBeGreaterThan(50);
    socket.close();
  });

  it('drops a browser whose held live messages pass the bound while it is greeted', async () => {
    const view = fleetOf(FLEET);
    bridge = await startInspectorBridge({ port: 0, host: '127.0.0.1', greeting: () => view.greeting() });
    const socket = new WebSocket(`http://127.0.0.1:${bridge.port}/`);
    let received = 0;
    socket.on('message', () => {
      received += 1;
    });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    // It stops reading: the greeting stalls at its high-water mark, and live messages are held.
    socket.pause();
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const big = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 200; i += 1) bridge.broadcast(big);
    // Reading again, it finds the connection was cut before its greeting was through.
    socket.resume();
    await closed;
    expect(received).toBeLessThan(2 * FLEET);
  });

  it('drops a browser that reads none of its greeting for the stall time', async () => {
    const view = fleetOf(FLEET);
    bridge = await startInspectorBridge({
      port: 0,
      host: '127.0.0.1',
      greeting: () => view.greeting(),
      greetingStallMs: 200,
    });
    const socket = new WebSocket(`http://127.0.0.1:${bridge.port}/`);
    let received = 0;
    socket.on('message', () => {
      received += 1;
    });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.pause();
    const closed = new Promise((resolve) => socket.once('close', resolve));
    // The bridge cuts it on its own, with nothing else going on.
    expect(bridge.clients).toBe(1);
    await vi.waitFor(() => expect(bridge?.clients).toBe(0), { timeout: 10_000 });
    socket.resume();
    await closed;
    expect(received).toBeLessThan(2 * FLEET);
  });
});
