/**
 * The simulator's handshake gate: never more than its limit inside, waiters admitted in arrival
 * order, and a slot given back twice counts once.
 */
import { describe, expect, it } from 'vitest';
import { createHandshakeGate } from '../../src/sim/handshake-gate.js';

describe('createHandshakeGate', () => {
  it('admits up to its limit, then one waiter per release, first come first served', async () => {
    const gate = createHandshakeGate(2);
    const first = await gate.enter();
    const second = await gate.enter();
    const admitted: string[] = [];
    const third = gate.enter().then((release) => {
      admitted.push('third');
      return release;
    });
    const fourth = gate.enter().then((release) => {
      admitted.push('fourth');
      return release;
    });
    await Promise.resolve();
    expect({ inFlight: gate.inFlight, waiting: gate.waiting, admitted }).toEqual({
      inFlight: 2,
      waiting: 2,
      admitted: [],
    });

    first();
    first(); // a second release of the same slot must not admit a second waiter
    await third;
    expect({ inFlight: gate.inFlight, waiting: gate.waiting, admitted }).toEqual({
      inFlight: 2,
      waiting: 1,
      admitted: ['third'],
    });

    second();
    (await third)();
    (await fourth)();
    expect(admitted).toEqual(['third', 'fourth']);
    expect({ inFlight: gate.inFlight, waiting: gate.waiting }).toEqual({ inFlight: 0, waiting: 0 });
  });

  it('refuses a limit below one', () => {
    expect(() => createHandshakeGate(0)).toThrow(RangeError);
  });
});
