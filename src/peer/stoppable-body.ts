/**
 * A request body handed to undici that the exchange can stop. undici reads an async iterable with
 * `for await` and leaves aborting it to the caller, so without this an exchange that failed (timeout,
 * client gone, peer lost) would leave undici waiting on the client's next chunk, and the client's
 * upload held, until the relay's idle deadline.
 */
export class StoppableBody implements AsyncIterable<Uint8Array> {
  private chunks: AsyncIterator<Uint8Array> | undefined;
  private stopped = false;
  private failPending: ((error: Error) => void) | undefined;

  constructor(private readonly source: AsyncIterable<Uint8Array>) {}

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const chunks = this.source[Symbol.asyncIterator]();
    this.chunks = chunks;
    return {
      next: () => {
        if (this.stopped) return Promise.reject(new Error('the relay to the peer tower ended'));
        return new Promise((resolve, reject) => {
          this.failPending = reject;
          chunks.next().then(
            (result) => {
              this.failPending = undefined;
              if (result.done) this.stopped = true;
              resolve(result);
            },
            (error: unknown) => {
              this.failPending = undefined;
              reject(error);
            },
          );
        });
      },
      return: async () => {
        this.stop();
        return { done: true, value: undefined };
      },
    };
  }

  /** Ends the upload, unless it has ended: a pending read fails at once and the source is let go. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.failPending?.(new Error('the relay to the peer tower ended'));
    this.failPending = undefined;
    this.chunks?.return?.().catch(() => {});
  }
}
