/**
 * Agents leaving a draining tower: the tower closes each bolt with 4014 and a redial hint, and the
 * agent waits a random delay within the hinted spread (drawn from its injectable `random`) instead of
 * its first backoff step, then dials another of its towers. A plain stop (4014 without the hint)
 * keeps the usual backoff.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { redialDelay } from '../../src/bolt/protocol/redial-hint.js';
import { agent, announced, closeAll, collect, nextEvent, tower } from '../helpers/harness.js';

afterEach(closeAll);

describe('agent redial after a drain', () => {
  it('waits the jittered delay the hint asks for, then lands on another tower', async () => {
    const [draining, other] = await Promise.all([tower({ redialSpread: 0.4 }), tower()]);
    // 0.25 picks the first tower first (index 0 of 2), then the other one, and a quarter of the spread.
    const client = await agent('unused', 'web-1', [1234], {
      towers: [draining.boltUrl, other.boltUrl],
      random: () => 0.25,
    });
    await announced(draining, 'web-1');
    const redials = collect(client, 'redial');
    const retries = collect(client, 'retrying');
    const reconnected = nextEvent(client, 'connected');

    const summary = await draining.drain();
    expect(summary.boltsToldToRedial).toBe(1);
    const { url } = await reconnected;
    expect(url).toBe(`${other.boltUrl}/bolt`);
    // minBackoff is 0.05 s in the harness: the delay is uniform over [50, 400] ms.
    const expected = redialDelay(400, 50, () => 0.25);
    expect(expected).toBe(138);
    expect(redials).toEqual([{ url: `${draining.boltUrl}/bolt`, spreadMs: 400, retryInMs: expected }]);
    expect(retries.map((retry) => retry.retryInMs)).toEqual([expected]);
    await announced(other, 'web-1');
  });

  it('keeps the usual backoff when the tower just stops', async () => {
    const [stopping, other] = await Promise.all([tower(), tower()]);
    const client = await agent('unused', 'web-1', [1234], {
      towers: [stopping.boltUrl, other.boltUrl],
      random: () => 0.25,
    });
    await announced(stopping, 'web-1');
    const redials = collect(client, 'redial');
    const lost = nextEvent(client, 'disconnected');
    const retrying = nextEvent(client, 'retrying');
    await stopping.close();
    expect((await lost).code).toBe(4014);
    // The first backoff step (its jitter draws from Math.random): 25 to 50 ms for a 50 ms minBackoff.
    const { retryInMs } = await retrying;
    expect(retryInMs).toBeGreaterThanOrEqual(25);
    expect(retryInMs).toBeLessThanOrEqual(50);
    expect(redials).toEqual([]);
  });
});
