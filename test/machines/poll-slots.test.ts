import { describe, expect, it } from 'vitest';
import { createPollSlots, type ReleaseSlot } from '../../machines/poll-slots.js';
import { flush } from './helpers.js';

describe('createPollSlots', () => {
  it('grants up to the limit, then serves waiters first come first served', async () => {
    const slots = createPollSlots(2);
    const signal = new AbortController().signal;
    const granted: string[] = [];
    const releases = new Map<string, ReleaseSlot>();
    for (const name of ['a', 'b', 'c', 'd']) {
      void slots.acquire(signal).then((release) => {
        granted.push(name);
        releases.set(name, release);
      });
    }
    await flush();
    expect(granted).toEqual(['a', 'b']);
    expect(slots.inUse).toBe(2);
    expect(slots.waiting).toBe(2);

    releases.get('b')?.();
    await flush();
    expect(granted).toEqual(['a', 'b', 'c']);
    expect(slots.inUse).toBe(2);
  });

  it('ignores a second release of the same slot', async () => {
    const slots = createPollSlots(1);
    const release = await slots.acquire(new AbortController().signal);
    release();
    release();
    expect(slots.inUse).toBe(0);
  });

  it('drops a waiter whose signal aborts, so it never holds a slot', async () => {
    const slots = createPollSlots(1);
    const first = await slots.acquire(new AbortController().signal);
    const controller = new AbortController();
    const waiting = slots.acquire(controller.signal);
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(slots.waiting).toBe(0);
    first();
    expect(slots.inUse).toBe(0);
  });

  it('rejects at once on an already aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await expect(createPollSlots(1).acquire(controller.signal)).rejects.toThrow('too late');
  });

  it('is unlimited by default and refuses a limit below one', async () => {
    const slots = createPollSlots();
    const signal = new AbortController().signal;
    await Promise.all(Array.from({ length: 100 }, () => slots.acquire(signal)));
    expect(slots.inUse).toBe(100);
    expect(() => createPollSlots(0)).toThrow(RangeError);
    expect(() => createPollSlots(Number.NaN)).toThrow(RangeError);
  });
});
