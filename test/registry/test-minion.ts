/**
 * A tiny stand-in for the minion machine: its context carries the `MinionView` fields and its events
 * set them directly, so registry tests drive real XState actors without links, pollers or timers.
 */
import { type ActorRefFrom, assign, createActor, setup } from 'xstate';
import type { MinionView, ServedDocument } from '../../machines/minion-snapshot.js';
import { checksumOf, T0 } from './helpers.js';

export type TestMinionEvent =
  | { readonly type: 'status'; readonly document: ServedDocument; readonly at?: number }
  | { readonly type: 'failed' }
  | { readonly type: 'close'; readonly reason?: string }
  | { readonly type: 'explode' };

export const testMinionMachine = setup({
  types: {} as {
    context: MinionView;
    input: { readonly cname: string; readonly boltId?: string };
    events: TestMinionEvent;
  },
  actions: {
    accept: assign(({ context, event }) => {
      if (event.type !== 'status') return {};
      const checksum = checksumOf(event.document);
      const at = event.at ?? T0;
      return {
        document: event.document,
        checksum,
        lastPollAt: at,
        lastChangeAt: checksum === context.checksum ? context.lastChangeAt : at,
        lastError: null,
        consecutiveFailures: 0,
      };
    }),
    recordFailure: assign(({ context }) => ({
      lastError: { code: 'timeout' as const, message: 'no answer', at: T0 },
      consecutiveFailures: context.consecutiveFailures + 1,
    })),
    recordRemoval: assign(({ event }) => ({
      removedReason: event.type === 'close' ? (event.reason ?? 'closed') : null,
    })),
    explode: () => {
      throw new Error('boom');
    },
  },
  guards: {
    checksumChanged: ({ context, event }) =>
      event.type === 'status' && checksumOf(event.document) !== context.checksum,
  },
}).createMachine({
  id: 'test-minion',
  context: ({ input }) => ({
    cname: input.cname,
    boltId: input.boltId ?? 'bolt-1',
    ports: [5000],
    document: null,
    checksum: null,
    lastError: null,
    consecutiveFailures: 0,
    connectedAt: T0,
    lastPollAt: null,
    lastChangeAt: null,
    removedReason: null,
  }),
  initial: 'monitoring',
  on: {
    close: { target: '.removed', actions: 'recordRemoval' },
    explode: { actions: 'explode' },
    failed: { actions: 'recordFailure' },
  },
  states: {
    monitoring: { on: { status: { target: 'ready', actions: 'accept' } } },
    ready: {
      on: {
        status: [{ guard: 'checksumChanged', target: 'changed', actions: 'accept' }, { actions: 'accept' }],
      },
    },
    // Unlike the real machine this stays in `changed` until the next status: no timers in these tests.
    changed: {
      on: {
        status: [
          { guard: 'checksumChanged', target: 'changed', reenter: true, actions: 'accept' },
          { target: 'ready', actions: 'accept' },
        ],
      },
    },
    removed: { type: 'final' },
  },
});

export type TestMinion = ActorRefFrom<typeof testMinionMachine>;

export function startTestMinion(cname: string, boltId = 'bolt-1'): TestMinion {
  return createActor(testMinionMachine, { input: { cname, boltId } }).start();
}
