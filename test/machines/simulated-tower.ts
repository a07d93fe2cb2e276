/**
 * A tower supervisor on a simulated clock set to `T0`, with the timings the machine tests assume
 * (15 s monitor interval, 5 s for the capability, 3 s per poll, no jitter). Not started: callers
 * subscribe first, as an actor's errors must always have an observer.
 */
import { createActor, type InspectionEvent, SimulatedClock } from 'xstate';
import { type TowerInput, towerMachine } from '../../machines/tower.machine.js';
import { T0, testTimings } from './minion-harness.js';

export function simulatedTower(
  overrides: Partial<TowerInput> = {},
  inspect?: (event: InspectionEvent) => void,
) {
  const clock = new SimulatedClock();
  clock.set(T0);
  const tower = createActor(towerMachine, {
    clock,
    ...(inspect ? { inspect } : {}),
    input: { ...testTimings(clock), ...overrides },
  });
  return { clock, tower };
}
