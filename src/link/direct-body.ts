/**
 * A response body that can skip the WHATWG stream: its producer hands each chunk straight to the
 * consumer's sink, and back-pressure travels as a boolean and a `resume()`, not as a read promise per
 * chunk. The relay's hot path uses it (a 100 MB download is some 6,000 chunks, and the promise,
 * queue and read per chunk cost the tower more than the bytes); any other reader still sees a
 * ReadableStream.
 */

/** The consumer's end: where the chunks go. */
export interface ChunkSink {
  /** Called once, by `divert`, before any chunk: how to ask for more or give up. */
  start(control: DivertedBody): void;
  /** Takes a chunk; false asks for no more credit to the sender until the sink calls `resume`. */
  write(chunk: Uint8Array): boolean;
  end(): void;
  fail(error: Error): void;
}

/** What a diverted body gives its sink: the way to ask for more, and to give up. */
export interface DivertedBody {
  resume(): void;
  cancel(reason: string): void;
}

export interface DivertibleBody {
  /**
   * Sends the body to `sink` from now on, chunks already held first; undefined when a reader has
   * already started on the stream, which then stays the way to read it.
   */
  divert(sink: ChunkSink): DivertedBody | undefined;
}

export const isDivertible = (body: unknown): body is DivertibleBody =>
  typeof (body as Partial<DivertibleBody> | null)?.divert === 'function';
