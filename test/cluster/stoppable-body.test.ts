/**
 * The request body a peer exchange hands undici: stopping it fails a read undici is waiting on and
 * lets the client's body go at once; a body that ended is left alone.
 */
import { describe, expect, it } from 'vitest';
import { StoppableBody } from '../../src/peer/stoppable-body.js';

/** A source that yields `first`, then waits forever; `returned` tells whether it was let go. */
function stuckSource(first: Uint8Array) {
  const state = { returned: false };
  const source: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => {
      let sent = false;
      return {
        next: () => {
          if (sent) return new Promise(() => {});
          sent = true;
          return Promise.resolve({ done: false, value: first });
        },
        return: async () => {
          state.returned = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { source, state };
}

describe('StoppableBody', () => {
  it('fails a pending read and lets the source go when stopped', async () => {
    const { source, state } = stuckSource(Uint8Array.of(1, 2, 3));
    const body = new StoppableBody(source);
    const chunks = body[Symbol.asyncIterator]();
    expect(await chunks.next()).toEqual({ done: false, value: Uint8Array.of(1, 2, 3) });
    const pending = chunks.next();
    body.stop();
    await expect(pending).rejects.toThrow(/ended/);
    expect(state.returned).toBe(true);
    await expect(chunks.next()).rejects.toThrow(/ended/);
  });

  it('leaves a source that has ended alone', async () => {
    let returned = false;
    const source: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: true, value: undefined }),
        return: async () => {
          returned = true;
          return { done: true, value: undefined };
        },
      }),
    };
    const body = new StoppableBody(source);
    const collected: Uint8Array[] = [];
    for await (const chunk of body) collected.push(chunk);
    body.stop();
    expect(collected).toEqual([]);
    expect(returned).toBe(false);
  });
});
