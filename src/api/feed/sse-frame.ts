/**
 * One SSE message as bytes, encoded once and then written as-is to every subscriber: the fan-out
 * to a thousand sockets must not re-encode (or re-frame) the same message a thousand times.
 *
 * A frame is a single Buffer holding the message already framed as an HTTP/1.1 chunk
 * (`<hex length>\r\n<message>\r\n`), which is what a chunked response puts on its socket; `body`
 * is a view of the message inside it (no copy) for writers that frame, or do not need framing,
 * themselves.
 */
export interface SseFrame {
  /** The message framed as one chunk of a `Transfer-Encoding: chunked` body. */
  readonly chunk: Buffer;
  /** The message alone: a view into `chunk`. */
  readonly body: Buffer;
}

const CRLF = '\r\n';

export function toFrame(message: string): SseFrame {
  const length = Buffer.byteLength(message);
  const head = `${length.toString(16)}${CRLF}`;
  const chunk = Buffer.allocUnsafe(head.length + length + CRLF.length);
  chunk.write(head, 0, 'latin1');
  chunk.write(message, head.length, 'utf8');
  chunk.write(CRLF, head.length + length, 'latin1');
  return { chunk, body: chunk.subarray(head.length, head.length + length) };
}

/**
 * Several messages as one frame (one chunk, one write): how a burst of changes, or a catch-up,
 * goes to a subscriber. One frame is returned as it is.
 */
export function joinFrames(frames: readonly SseFrame[]): SseFrame {
  if (frames.length === 1) return frames[0] as SseFrame;
  let length = 0;
  for (const frame of frames) length += frame.body.length;
  const head = `${length.toString(16)}${CRLF}`;
  const chunk = Buffer.allocUnsafe(head.length + length + CRLF.length);
  let at = chunk.write(head, 0, 'latin1');
  for (const frame of frames) at += frame.body.copy(chunk, at);
  chunk.write(CRLF, at, 'latin1');
  return { chunk, body: chunk.subarray(head.length, head.length + length) };
}
