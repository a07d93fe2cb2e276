/**
 * A fixed-capacity FIFO that overwrites its oldest item: the change feed's replay window, so a
 * reconnecting subscriber can be served from memory without the feed ever growing.
 */
export class RingBuffer<T> {
  readonly #slots: (T | undefined)[];
  #start = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`ring buffer capacity must be a positive integer, got ${capacity}`);
    }
    this.#slots = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    const end = (this.#start + this.#size) % this.capacity;
    this.#slots[end] = item;
    if (this.#size < this.capacity) this.#size += 1;
    else this.#start = (this.#start + 1) % this.capacity;
  }

  /** The items from position `from` (0 = oldest held) to the newest, oldest first. */
  tail(from: number): T[] {
    const items: T[] = [];
    for (let i = Math.max(0, from); i < this.#size; i += 1) {
      const item = this.#slots[(this.#start + i) % this.capacity];
      if (item !== undefined) items.push(item);
    }
    return items;
  }
}
