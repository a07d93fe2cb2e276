/**
 * The relays in flight through the API (`/proxy` and the header relay), so that a draining tower
 * knows when the last one has finished, and can cut those still running at its drain timeout.
 *
 * A relay counts from the moment the API admits it until its response is over (written in full, or
 * the connection gone): a streamed body outlives the Hono handler by as long as it flows.
 */
export class RelayTracker {
  /** Each relay in flight, as the function that cuts it. */
  readonly #cuts = new Set<() => void>();
  #waiters: (() => void)[] = [];

  get size(): number {
    return this.#cuts.size;
  }

  /** A relay begins; `cut` aborts it. Returns the function to call once it is over (idempotent). */
  begin(cut: () => void): () => void {
    // A fresh function per relay, so two relays with the same `cut` never share a slot.
    const entry = () => cut();
    this.#cuts.add(entry);
    return () => {
      if (!this.#cuts.delete(entry) || this.#cuts.size > 0) return;
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    };
  }

  /** Resolves once no relay is in flight (at once when none is). */
  whenIdle(): Promise<void> {
    if (this.#cuts.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Cuts every relay still in flight; returns how many there were. */
  cutAll(): number {
    const cuts = [...this.#cuts];
    for (const cut of cuts) {
      try {
        cut();
      } catch {
        // One relay that fails to die must not keep the others alive.
      }
    }
    return cuts.length;
  }
}
