/**
 * Serves relay streams from memory instead of a local HTTP service, so one process can play
 * thousands of agents (the fleet simulator) without a server per agent.
 */

import type { HeaderList } from '../../link/relay.js';
import type { MuxStream, StreamListener } from '../mux/mux-stream.js';
import { ErrorCode, FrameType } from '../protocol/frames.js';
import { encodeJson, type RequestHead } from '../protocol/heads.js';
import { acceptRelayHead } from './relay-head.js';

export interface LocalResponse {
  readonly status: number;
  readonly headers?: HeaderList;
  readonly body?: string | Uint8Array;
}

/** Answers one relayed request; the request body is drained and ignored. */
export type LocalResponder = (request: RequestHead) => LocalResponse | Promise<LocalResponse>;

export function serveFromMemory(
  stream: MuxStream,
  headPayload: Uint8Array,
  allowedPorts: ReadonlySet<number>,
  respond: LocalResponder,
): void {
  const head = acceptRelayHead(stream, headPayload, allowedPorts);
  if (!head) return;
  stream.listen(new DrainedRequest(stream));
  Promise.resolve()
    .then(() => respond(head))
    .then(
      async (response) => {
        const body =
          typeof response.body === 'string'
            ? Buffer.from(response.body)
            : (response.body ?? new Uint8Array());
        const headers = [...(response.headers ?? []), 'content-length', String(body.length)];
        stream.sendHead(
          FrameType.Response,
          encodeJson({ status: response.status, headers }),
          body.length === 0,
        );
        if (body.length === 0) return;
        await stream.write(body);
        stream.end();
      },
      (error: unknown) =>
        stream.reset(ErrorCode.UpstreamFailed, error instanceof Error ? error.message : 'responder failed'),
    )
    .catch(() => {
      // The stream was reset while writing: nothing left to do.
    });
}

/** Takes the request body only to return its credit: the responder answers from the head alone. */
export class DrainedRequest implements StreamListener {
  constructor(private readonly stream: MuxStream) {}
  head(): void {}
  data(chunk: Uint8Array): void {
    this.stream.consumed(chunk.length);
  }
  end(): void {}
  reset(): void {}
}
