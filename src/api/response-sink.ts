/**
 * A relayed body written straight to a Node `ServerResponse` from the bolt, chunk by chunk as it
 * arrives, with the same rules as `writeBody` (node-response.ts): held to the promised length and to
 * the relay's idle deadline, the connection destroyed when the body fails, ends short or stands still,
 * and the relay stream cancelled when the client goes. What it saves is the WHATWG queue and the read
 * promise per chunk; the chunks of one bolt message leave in one write (corked until the next tick).
 */
import type { ServerResponse } from 'node:http';
import type { ChunkSink, DivertedBody } from '../link/direct-body.js';
import { IdleDeadline } from './idle-deadline.js';
import type { BodyWatch, LengthGuard } from './response-framing.js';

export class ResponseSink implements ChunkSink {
  private control: DivertedBody | undefined;
  private waitingOn: 'agent' | 'client' = 'agent';
  private readonly deadline: IdleDeadline;
  private finished = false;
  private corked = false;

  constructor(
    private readonly out: ServerResponse,
    private readonly guard: LengthGuard,
    private readonly watch: BodyWatch,
  ) {
    this.deadline = new IdleDeadline(watch.idleTimeoutMs, () => {
      watch.idle(this.waitingOn);
      out.destroy();
    });
    out.once('close', this.clientGone);
    out.on('drain', this.drained);
  }

  start(control: DivertedBody): void {
    this.control = control;
  }

  write(chunk: Uint8Array): boolean {
    if (this.finished) return true;
    this.deadline.touch();
    const part = this.guard.admit(chunk);
    let room = true;
    if (part.length > 0) {
      this.watch.tap?.bodySent(part.length);
      this.cork();
      room = this.out.write(part);
    }
    if (this.guard.overrun) {
      this.watch.badLength(`the body ran past ${this.guard.expected} bytes`);
      this.finish();
      this.control?.cancel('the body ran past its content-length');
      // Ends the response, then the connection: a pipelined request behind it is not served.
      const socket = this.out.socket;
      this.out.end(() => socket?.end());
      return true;
    }
    if (!room) this.waitingOn = 'client';
    return room;
  }

  end(): void {
    if (this.finished) return;
    this.finish();
    if (this.guard.short) {
      this.watch.badLength(`the body ended after ${this.guard.bytes} of ${this.guard.expected} bytes`);
      this.out.destroy();
      return;
    }
    this.out.end();
    this.watch.tap?.bodyEnded();
  }

  fail(error: Error): void {
    if (this.finished) return;
    this.finish();
    this.watch.tap?.bodyFailed(error);
    this.out.destroy();
  }

  private readonly drained = (): void => {
    if (this.finished) return;
    this.waitingOn = 'agent';
    this.deadline.touch();
    this.control?.resume();
  };

  // The client went away (or the deadline destroyed the connection) before the body was over.
  private readonly clientGone = (): void => {
    if (this.finished) return;
    this.finish();
    this.control?.cancel('the reader went away');
  };

  /** Not used after all (the body already had a reader): lets go of the response and the timer. */
  dispose(): void {
    this.finish();
  }

  private finish(): void {
    this.finished = true;
    this.deadline.stop();
    this.out.off('close', this.clientGone);
    this.out.off('drain', this.drained);
  }

  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.out.cork();
    process.nextTick(() => {
      this.corked = false;
      this.out.uncork();
    });
  }
}
