/**
 * A first-come, first-served limit on the handshakes a simulator process has in flight.
 *
 * Ten thousand real agents each handshake on their own CPU; simulated, they share one Node process,
 * and ten thousand TLS handshakes started in the same second (a tower restart) starve each other
 * until they pass the handshake timeout, retry, and starve again. The gate keeps the simulator's
 * share of each handshake fast, so what a benchmark measures is the tower's pace, not the
 * simulator drowning in its own reconnect storm.
 */

/** Gives the slot back; calling it again is harmless. */
export type ReleaseHandshake = () => void;

export interface HandshakeGate {
  /** Resolves once fewer than `limit` handshakes are in flight. */
  enter(): Promise<ReleaseHandshake>;
  readonly inFlight: number;
  readonly waiting: number;
}

export function createHandshakeGate(limit: number): HandshakeGate {
  if (!(limit >= 1)) throw new RangeError(`handshake limit must be at least 1, got ${limit}`);
  let inFlight = 0;
  const queue: (() => void)[] = [];

  const admit = (): ReleaseHandshake => {
    inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      inFlight--;
      queue.shift()?.();
    };
  };

  return {
    get inFlight() {
      return inFlight;
    },
    get waiting() {
      return queue.length;
    },
    enter() {
      if (inFlight < limit) return Promise.resolve(admit());
      return new Promise((resolve) => queue.push(() => resolve(admit())));
    },
  };
}
