/**
 * A relayed response body: the agent's text data frames, queued as UTF-8 bytes in the
 * `ReadableStream` the API streams out.
 *
 * mux-demux has no credit window, only advisory `pause` / `resume`, so that is what a slow reader
 * gets: past `highWaterBytes` queued the agent is asked to pause (a 0.4.3 agent's pipe then stops
 * reading its local response), and it is resumed as the reader catches up. Whatever was in flight
 * still arrives, so the queue has a hard ceiling too: past `maxQueueBytes` the relay fails rather
 * than buffer without end for an agent that ignores `pause`.
 */
import { RelayError } from '../link/relay-error.js';
import type { LegacyStream } from './legacy-stream.js';

export interface RelayBody {
  readonly body: ReadableStream<Uint8Array>;
  /** One data frame's payload; stormbolt sends strings, any other JSON value is relayed as its JSON text. */
  push(payload: unknown): void;
  end(): void;
  fail(error: Error): void;
}

export interface RelayBodyLimits {
  readonly highWaterBytes: number;
  readonly maxQueueBytes: number;
}

export function relayBody(stream: LegacyStream, limits: RelayBodyLimits): RelayBody {
  let open = true;
  let paused = false;
  let control: ReadableStreamDefaultController<Uint8Array> | undefined;
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        control = controller;
      },
      pull() {
        if (open && paused) {
          paused = false;
          stream.resume();
        }
      },
      cancel() {
        open = false;
        stream.destroy();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: limits.highWaterBytes }),
  );

  const fail = (error: Error) => {
    if (!open) return;
    open = false;
    control?.error(error);
  };

  return {
    body,
    push(payload) {
      if (!open || !control) return;
      const bytes = Buffer.from(
        typeof payload === 'string' ? payload : (JSON.stringify(payload) ?? ''),
        'utf8',
      );
      if (bytes.length === 0) return;
      control.enqueue(bytes);
      const desired = control.desiredSize ?? 0;
      if (limits.highWaterBytes - desired > limits.maxQueueBytes) {
        fail(
          new RelayError('protocol', `the agent sent more than ${limits.maxQueueBytes} bytes past a pause`),
        );
        stream.destroy();
      } else if (desired <= 0 && !paused) {
        paused = true;
        stream.pause();
      }
    },
    end() {
      if (!open) return;
      open = false;
      control?.close();
    },
    fail,
  };
}
