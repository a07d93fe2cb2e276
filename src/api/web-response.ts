/**
 * The WHATWG counterpart of `node-response.ts`, for `app.request()` and other runtimes: the relayed
 * body as a stream held to the promised length and to the relay's idle deadline. Past the length it
 * closes (the rest is dropped); short of it, or idle too long, it errors, which a server turns into
 * an aborted response.
 */
import { IdleDeadline, IdleError } from './idle-deadline.js';
import type { BodyWatch, LengthGuard } from './response-framing.js';

export function framedBody(
  body: ReadableStream<Uint8Array>,
  guard: LengthGuard,
  watch: BodyWatch,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let deadline: IdleDeadline | undefined;
  let finished = false;
  let pulling = false;
  const finish = () => {
    finished = true;
    deadline?.stop();
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      deadline = new IdleDeadline(watch.idleTimeoutMs, () => {
        if (finished) return;
        finish();
        watch.idle(pulling ? 'agent' : 'client');
        const idle = new IdleError('response body', watch.idleTimeoutMs);
        watch.tap?.bodyFailed(idle);
        controller.error(idle);
        void reader.cancel().catch(() => {});
      });
    },
    async pull(controller) {
      pulling = true;
      let result: Awaited<ReturnType<typeof reader.read>>;
      try {
        result = await reader.read();
      } catch (error) {
        if (!finished) {
          watch.tap?.bodyFailed(error);
          controller.error(error);
        }
        return finish();
      } finally {
        pulling = false;
      }
      if (finished) return;
      if (result.done) {
        finish();
        if (!guard.short) {
          controller.close();
          return watch.tap?.bodyEnded();
        }
        watch.badLength(`the body ended after ${guard.bytes} of ${guard.expected} bytes`);
        const short = new Error('the agent ended its body short of its content-length');
        watch.tap?.bodyFailed(short);
        return controller.error(short);
      }
      deadline?.touch();
      const part = guard.admit(result.value);
      if (part.length > 0) {
        watch.tap?.bodySent(part.length);
        controller.enqueue(part);
      }
      if (guard.overrun) {
        finish();
        watch.badLength(`the body ran past ${guard.expected} bytes`);
        controller.close();
        watch.tap?.bodyEnded();
        void reader.cancel().catch(() => {});
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
}
