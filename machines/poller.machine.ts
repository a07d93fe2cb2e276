/**
 * The status poller of one minion: a child of the minion actor that polls `/status` for as long as
 * the minion lives and reports every outcome to it as `status.received` or `status.failed`.
 *
 * It is a child actor rather than states of the minion so that the minion's own state stays one of
 * the five names of `MinionState`, and so that its cadence survives `ready -> changed -> ready`.
 *
 * Cadence: the first poll waits a random share of min(interval, 1 s) so minions that connect together
 * do not poll together; then each poll starts `monitorInterval` after the previous one started, or
 * right when it ended if it took longer (never two in flight). After a failure the next attempt waits
 * min(interval, retryBase * 2^(failures-1)), shortened by up to half at random.
 */
import { assign, sendParent, setup } from 'xstate';
import type { PollReport } from './minion-events.js';
import { type MinionLink, PollError } from './minion-link.js';
import { type PolledStatus, pollSlotActor, pollStatusActor, toPollFailure } from './poll.actors.js';
import type { PollSlots } from './poll-slots.js';

export interface PollerInput {
  readonly cname: string;
  readonly link: MinionLink;
  readonly slots: PollSlots;
  readonly monitorInterval: number;
  readonly pollTimeout: number;
  readonly retryBase: number;
  /** Uniform in [0, 1); injectable so tests can pin it. */
  readonly jitter: () => number;
  /** Epoch milliseconds, on the same clock as the actor system's timers. */
  readonly now: () => number;
}

interface PollerContext extends PollerInput {
  /** Failures since the last success; drives the backoff. */
  readonly failures: number;
  /** When the current or latest request went out on the link. */
  readonly startedAt: number;
  /** How long `waiting` waits before the next poll. */
  readonly nextDelay: number;
}

/** Cap of the first-poll spread: enough to scatter a reconnect storm, short enough to go unnoticed. */
const FIRST_POLL_SPREAD_MS = 1000;

function backoff(context: PollerContext, failures: number): number {
  const full = Math.min(context.monitorInterval, context.retryBase * 2 ** (failures - 1));
  return full - Math.floor((context.jitter() * full) / 2);
}

export const pollerMachine = setup({
  types: {} as {
    context: PollerContext;
    input: PollerInput;
    events: { type: 'slot.granted' };
  },
  actors: { pollSlot: pollSlotActor, pollStatus: pollStatusActor },
  actions: {
    markStarted: assign({ startedAt: ({ context }) => context.now() }),
    scheduleNext: assign(({ context }) => ({
      failures: 0,
      nextDelay: Math.max(0, context.startedAt + context.monitorInterval - context.now()),
    })),
    scheduleRetry: assign(({ context }) => ({
      failures: context.failures + 1,
      nextDelay: backoff(context, context.failures + 1),
    })),
    reportStatus: sendParent(
      ({ context }, params: { polled: PolledStatus }): PollReport => ({
        type: 'status.received',
        ...params.polled,
        at: context.now(),
      }),
    ),
    reportFailure: sendParent(
      ({ context }, params: { error: unknown }): PollReport => ({
        type: 'status.failed',
        failure: toPollFailure(params.error, context.now()),
      }),
    ),
  },
  delays: {
    pollDelay: ({ context }) => context.nextDelay,
    pollTimeout: ({ context }) => context.pollTimeout,
  },
}).createMachine({
  id: 'poller',
  context: ({ input }) => ({
    ...input,
    failures: 0,
    startedAt: input.now(),
    nextDelay: Math.floor(input.jitter() * Math.min(input.monitorInterval, FIRST_POLL_SPREAD_MS)),
  }),
  initial: 'waiting',
  states: {
    waiting: {
      after: { pollDelay: 'slotted' },
    },
    // The slot is held for as long as this state is active, and given back when it is left.
    slotted: {
      invoke: { src: 'pollSlot', input: ({ context }) => ({ slots: context.slots }) },
      initial: 'queued',
      states: {
        queued: {
          on: { 'slot.granted': 'polling' },
        },
        polling: {
          entry: 'markStarted',
          invoke: {
            src: 'pollStatus',
            input: ({ context }) => ({ link: context.link, cname: context.cname }),
            onDone: {
              target: '#poller.waiting',
              actions: [
                { type: 'reportStatus', params: ({ event }) => ({ polled: event.output }) },
                'scheduleNext',
              ],
            },
            onError: {
              target: '#poller.waiting',
              actions: [
                { type: 'reportFailure', params: ({ event }) => ({ error: event.error }) },
                'scheduleRetry',
              ],
            },
          },
          // The link should time out by itself; this is the backstop for one that hangs. Leaving the
          // state stops the invoked request, which aborts its signal.
          after: {
            pollTimeout: {
              target: '#poller.waiting',
              actions: [
                {
                  type: 'reportFailure',
                  params: ({ context }) => ({
                    error: new PollError('timeout', `no status within ${context.pollTimeout} ms`),
                  }),
                },
                'scheduleRetry',
              ],
            },
          },
        },
      },
    },
  },
});
