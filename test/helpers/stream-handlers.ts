/**
 * For session tests: handlers a test sets on a stream and may replace as it goes. The stream has one
 * listener, made on first use, which calls whatever handler is set at the time.
 */
import type { MuxStream, StreamListener } from '../../src/bolt/mux/mux-stream.js';

const handlers = new WeakMap<MuxStream, Partial<StreamListener>>();

export function handlersOf(
  stream: MuxStream,
  initial: Partial<StreamListener> = {},
): Partial<StreamListener> {
  let set = handlers.get(stream);
  if (set) return Object.assign(set, initial);
  const current: Partial<StreamListener> = { ...initial };
  set = current;
  handlers.set(stream, current);
  stream.listen({
    head: (payload, endStream) => current.head?.(payload, endStream),
    data: (chunk) => current.data?.(chunk),
    end: () => current.end?.(),
    reset: (error) => current.reset?.(error),
  });
  return current;
}
