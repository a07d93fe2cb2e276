/**
 * "This stream is over", told once to everyone who asked, whichever of several causes (client gone,
 * cut off, ended) comes first; someone who asks afterwards is told at once.
 */
export class CloseSignal {
  #fired = false;
  #listeners: (() => void)[] = [];

  get fired(): boolean {
    return this.#fired;
  }

  add(listener: () => void): void {
    if (this.#fired) listener();
    else this.#listeners.push(listener);
  }

  fire(): void {
    if (this.#fired) return;
    this.#fired = true;
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const listener of listeners) listener();
  }
}
