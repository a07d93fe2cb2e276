/**
 * Starts one minion actor on a `SimulatedClock` with a fake link, and drives it to a given state.
 */
import { createActor, SimulatedClock } from 'xstate';
import { type MinionInput, minionMachine, minionView } from '../../machines/minion.machine.js';
import type { StatusObject } from '../../machines/minion-link.js';
import { type FakeLink, fakeLink, flush, recordValues } from './helpers.js';

/** An epoch-like start, so that times are never confused with null or zero. */
export const T0 = 1_700_000_000_000;
export const CNAME = 'minion-a';
export const BOLT = 'bolt-1';

export const goodStatus = (extra: StatusObject = {}): StatusObject => ({
  id: CNAME,
  activated: true,
  running: true,
  os: { hostname: 'kvm570', uptime: 33.25 },
  services: [],
  ...extra,
});

/** The timings every machine test assumes: 15 s monitor, 5 s capability, 3 s poll, no jitter. */
export const testTimings = (clock: SimulatedClock) => ({
  monitorInterval: 15_000,
  capabilityTimeout: 5_000,
  pollTimeout: 3_000,
  jitter: () => 0,
  now: () => clock.now(),
});

export function startMinion(overrides: Partial<MinionInput> & { clock?: SimulatedClock } = {}) {
  const { clock = new SimulatedClock(), ...input } = overrides;
  if (clock.now() < T0) clock.set(T0);
  const link = (input.link as FakeLink | undefined) ?? fakeLink(CNAME);
  const actor = createActor(minionMachine, {
    clock,
    input: {
      cname: CNAME,
      boltId: BOLT,
      ...testTimings(clock),
      ...input,
      link,
    },
  });
  const seen = recordValues(actor, (snapshot) => snapshot.value);
  actor.start();

  const h = {
    clock,
    link,
    actor,
    seen,
    state: () => actor.getSnapshot().value,
    view: () => minionView(actor.getSnapshot()),
    /** Advances the clock and lets the resulting slot grants and poll calls happen. */
    async advance(ms: number) {
      clock.increment(ms);
      await flush();
    },
    /** Announces the capability and lets the first poll (jitter 0) start. */
    async connect() {
      actor.send({ type: 'bolt.capability', ports: [5000] });
      await h.advance(0);
    },
    /** Answers the latest poll and lets the answer reach the minion. */
    async answer(status: StatusObject = goodStatus()) {
      link.lastPoll().resolve(status);
      await flush();
    },
    async fail(error: unknown) {
      link.lastPoll().reject(error);
      await flush();
    },
    /** connecting -> monitoring -> ready with `status`, the next poll due one interval later. */
    async toReady(status: StatusObject = goodStatus()) {
      await h.connect();
      await h.answer(status);
    },
  };
  return h;
}

export type MinionHarness = ReturnType<typeof startMinion>;
