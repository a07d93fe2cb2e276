/**
 * What the inspector's greeting costs at fleet size: the fleet view's heap, the greeting's messages
 * and bytes, and the time to send it over a real loopback WebSocket with the event-loop delay
 * meanwhile (the watching client runs in this process too, so the delay is an upper bound).
 *
 *   npm run -s build && node --expose-gc dist/bench/inspector-greeting.js [count]
 *
 * The messages are a real tower's: one minion is connected and polled on a `SimulatedClock`, and its
 * sanitized registration and latest snapshot are copied to `count` minions (default 10,000), each
 * registration with a fresh copy of the machine definition, as the library sends them.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { StatelyInspectionEvent } from '@statelyai/inspect';
import { WebSocket } from 'ws';
import { createActor, SimulatedClock } from 'xstate';
import type { MinionLink } from '../machines/minion-link.js';
import { towerMachine } from '../machines/tower.machine.js';
import { createFleetView } from '../src/inspect/fleet-view.js';
import { startInspectorBridge } from '../src/inspect/inspector-bridge.js';
import { createSanitizedInspector } from '../src/inspect/sanitized-inspector.js';

const count = Number(process.argv[2] ?? 10_000);
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 10));
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1e6;
};

/** The sanitized messages a real tower sends for itself, one shard and one polled minion. */
async function realMessages(): Promise<StatelyInspectionEvent[]> {
  const events: StatelyInspectionEvent[] = [];
  const pipeline = createSanitizedInspector((message) => events.push(JSON.parse(message)));
  const clock = new SimulatedClock();
  clock.set(1_700_000_000_000);
  const tower = createActor(towerMachine, {
    clock,
    inspect: pipeline.inspect,
    input: { capabilityTimeout: 5_000, pollTimeout: 3_000, jitter: () => 0, now: () => clock.now() },
  });
  tower.start();
  const link: MinionLink = {
    cname: 'agent-00001',
    pollStatus: async () => ({ id: 'agent-00001', activated: true, os: { hostname: 'kvm570' } }),
    close: () => {},
  };
  tower.send({ type: 'bolt.connected', cname: link.cname, boltId: 'b1', link, connectedAt: clock.now() });
  tower.send({ type: 'bolt.capability', cname: link.cname, boltId: 'b1', ports: [5000] });
  clock.increment(0);
  await settle();
  pipeline.stop();
  tower.stop();
  return events;
}

function find<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`no ${what} among the tower's messages`);
  return value;
}

const events = await realMessages();
const towerActor = find(
  events.find((e) => e.type === '@xstate.actor' && e.parentId === undefined),
  'tower',
);
const shard = find(
  events.find((e) => e.type === '@xstate.actor' && e.parentId === towerActor.sessionId),
  'shard',
);
const minion = find(
  events.find((e) => e.type === '@xstate.actor' && e.parentId === shard.sessionId),
  'minion',
);
const latest = find(
  events.findLast((e) => e.type === '@xstate.snapshot' && e.sessionId === minion.sessionId),
  'minion snapshot',
);

const before = heapMb();
const view = createFleetView();
view.record(towerActor, JSON.stringify(towerActor));
view.record(shard, JSON.stringify(shard));
for (let i = 0; i < count; i += 1) {
  const sessionId = `x:${i + 100}`;
  const registration = JSON.parse(JSON.stringify({ ...minion, sessionId, name: `minion:agent-${i}:b1` }));
  view.record(registration, JSON.stringify(registration));
  const snapshot = { ...latest, sessionId };
  view.record(snapshot, JSON.stringify(snapshot));
}
const held = heapMb();

let messages = 0;
let bytes = 0;
let started = performance.now();
for (const message of view.greeting()) {
  messages += 1;
  bytes += message.length;
}
const generateMs = performance.now() - started;

const bridge = await startInspectorBridge({ port: 0, host: '127.0.0.1', greeting: () => view.greeting() });
const delay = monitorEventLoopDelay({ resolution: 5 });
let peak = 0;
const socket = new WebSocket(`ws://127.0.0.1:${bridge.port}/`);
started = performance.now();
delay.enable();
await new Promise<void>((resolve) => {
  let received = 0;
  socket.on('message', () => {
    received += 1;
    if (received % 2_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed / 1e6);
    if (received === messages) resolve();
  });
});
delay.disable();
const sendMs = performance.now() - started;
socket.close();
await bridge.close();

const round = (n: number, digits = 1) => Number(n.toFixed(digits));
console.log(
  JSON.stringify(
    {
      minions: count,
      actorsShown: view.size,
      fleetViewHeapMb: round(held - before),
      greetingMessages: messages,
      greetingMb: round(bytes / 1e6),
      minionRegistrationBytes: JSON.stringify(minion).length,
      minionSnapshotBytes: JSON.stringify(latest).length,
      generateMs: Math.round(generateMs),
      sendOverWebSocketMs: Math.round(sendMs),
      eventLoopDelayP99Ms: round(delay.percentile(99) / 1e6),
      eventLoopDelayMaxMs: round(delay.max / 1e6),
      heapBeforeSendMb: round(held),
      heapPeakWhileSendingMb: round(peak),
    },
    null,
    2,
  ),
);
