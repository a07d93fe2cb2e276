/**
 * The drain's count of relays in flight, and its summary line.
 */
import { describe, expect, it, vi } from 'vitest';
import { RelayTracker } from '../../src/api/relay-tracker.js';
import { describeDrain } from '../../src/tower-drain.js';

describe('RelayTracker', () => {
  it('is idle at once with nothing in flight, and once the last relay is over', async () => {
    const relays = new RelayTracker();
    await relays.whenIdle();
    const first = relays.begin(() => {});
    const second = relays.begin(() => {});
    const idle = vi.fn();
    void relays.whenIdle().then(idle);
    first();
    first(); // idempotent: a second call must not count the other relay as over
    await Promise.resolve();
    expect(relays.size).toBe(1);
    expect(idle).not.toHaveBeenCalled();
    second();
    await vi.waitFor(() => expect(idle).toHaveBeenCalledOnce());
  });

  it('cuts every relay in flight, even when one cut throws', () => {
    const relays = new RelayTracker();
    const cut = vi.fn();
    relays.begin(() => {
      throw new Error('already gone');
    });
    relays.begin(cut);
    relays.begin(cut);
    expect(relays.cutAll()).toBe(3);
    expect(cut).toHaveBeenCalledTimes(2);
  });
});

describe('describeDrain', () => {
  it('says what the drain did in one line', () => {
    expect(
      describeDrain({
        relaysFinished: 3,
        relaysCut: 1,
        relaysRefused: 0,
        boltsToldToRedial: 120,
        subscribersToldToReconnect: 4,
        seconds: 7.2,
      }),
    ).toBe(
      'drained: 3 relays finished, 1 cut at the drain timeout, 120 bolts told to redial, 4 event subscribers told to reconnect, 7.2 s',
    );
    expect(
      describeDrain({
        relaysFinished: 1,
        relaysCut: 0,
        relaysRefused: 2,
        boltsToldToRedial: 1,
        subscribersToldToReconnect: 1,
        seconds: 0,
      }),
    ).toBe(
      'drained: 1 relay finished, 0 cut at the drain timeout, 2 refused, 1 bolt told to redial, 1 event subscriber told to reconnect, 0.0 s',
    );
  });
});
