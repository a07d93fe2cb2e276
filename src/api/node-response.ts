/**
 * Streams a relayed body to a Node `ServerResponse` at the pace its socket takes it, held to the
 * length the client was promised and to the relay's idle deadline.
 *
 * Past the promised length nothing more is written: the response ends there and the connection is
 * closed after it (the agent lied, and whatever it sent next is dropped). A body that ends short
 * of it, fails (the bolt went down) or stands still too long destroys the connection, so the client
 * sees an incomplete answer rather than a complete-looking or desynchronised one. A client that goes
 * away cancels the body, and so the relay stream.
 */
import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { IdleDeadline } from './idle-deadline.js';
import type { BodyWatch, LengthGuard } from './response-framing.js';

export async function writeBody(
  body: ReadableStream<Uint8Array>,
  out: ServerResponse,
  guard: LengthGuard,
  watch: BodyWatch,
): Promise<void> {
  const reader = body.getReader();
  let waitingOn: 'agent' | 'client' = 'agent';
  const deadline = new IdleDeadline(watch.idleTimeoutMs, () => {
    watch.idle(waitingOn);
    out.destroy();
  });
  // Also ends a pending read (as done), once the client has gone or the deadline destroyed it.
  const onClose = () => void reader.cancel().catch(() => {});
  out.once('close', onClose);
  try {
    for (;;) {
      waitingOn = 'agent';
      const { done, value } = await reader.read();
      if (out.destroyed) return;
      if (done) break;
      deadline.touch();
      const part = guard.admit(value);
      if (part.length > 0) watch.tap?.bodySent(part.length);
      if (part.length > 0 && !out.write(part)) {
        waitingOn = 'client';
        await drained(out);
        if (out.destroyed) return;
        deadline.touch();
      }
      if (guard.overrun) {
        watch.badLength(`the body ran past ${guard.expected} bytes`);
        void reader.cancel().catch(() => {});
        return endThenClose(out);
      }
    }
    if (guard.short) {
      watch.badLength(`the body ended after ${guard.bytes} of ${guard.expected} bytes`);
      out.destroy();
      return;
    }
    out.end();
    watch.tap?.bodyEnded();
  } catch (error) {
    watch.tap?.bodyFailed(error);
    out.destroy();
  } finally {
    deadline.stop();
    out.off('close', onClose);
  }
}

/** Ends the response, then the connection: a pipelined request behind it is not served. */
function endThenClose(out: ServerResponse): void {
  const socket = out.socket;
  out.end(() => socket?.end());
}

function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
}
