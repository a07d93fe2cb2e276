/**
 * A client's request body with the relay's idle deadline on it: if no chunk moves on for the
 * deadline (the client stopped sending, or the agent stopped taking them), the body fails, which
 * resets the relay stream with Cancel, and `onIdle` closes the client's side.
 *
 * A hand-written iterator rather than an async generator: `return()` must reach the source at once,
 * even while a `next()` is pending, so an abandoned upload is dropped without waiting for its client.
 */
import { IdleDeadline, IdleError } from './idle-deadline.js';

export function idleBounded(
  source: AsyncIterable<Uint8Array>,
  ms: number,
  onIdle: () => void,
): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      const chunks = source[Symbol.asyncIterator]();
      const idle = () => new IdleError('request body', ms);
      let failPending: ((error: Error) => void) | undefined;
      const deadline = new IdleDeadline(ms, () => {
        onIdle();
        failPending?.(idle());
      });
      return {
        next() {
          if (deadline.expired) return Promise.reject(idle());
          return new Promise((resolve, reject) => {
            failPending = reject;
            chunks.next().then(
              (result) => {
                failPending = undefined;
                if (result.done) deadline.stop();
                else deadline.touch();
                resolve(result);
              },
              (error: unknown) => {
                failPending = undefined;
                deadline.stop();
                reject(error);
              },
            );
          });
        },
        async return() {
          deadline.stop();
          await chunks.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}
