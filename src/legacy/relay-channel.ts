/**
 * The tower's half of one `relay:<port>` exchange: `new`, the request preamble, `end`; then the
 * reply preamble and the body as string data frames until the agent's `end`.
 *
 * Every way it can go wrong settles the promise exactly once, never leaving the caller hanging as
 * the original did on a channel that ended without a reply: no preamble is `upstream-failed`, a bad
 * one `protocol`, a dropped connection `bolt-lost`, no reply in time `timeout`. The agent's own
 * answer for a local request that failed (500, headers null, then `end` with no body) is
 * `upstream-unreachable`, the 502 a WebSocket bolt gives for a refused port; a 500 that brings a
 * body is relayed as it is. Abandoning a stream
 * sends `close`: a 0.4.3 agent then writes its late reply to a stream id the tower no longer knows,
 * which the tower ignores, and its connection stays healthy.
 */

import { ExchangeDeadline } from '../link/exchange-deadline.js';
import { hasNoBody } from '../link/http-headers.js';
import type { RelayOptions, RelayRequest, RelayResponse } from '../link/relay.js';
import { RelayError } from '../link/relay-error.js';
import { type PreambleData, readJsonBody } from './json-body.js';
import type { LegacyLimits } from './legacy-limits.js';
import type { LegacyStream, StreamEndCause } from './legacy-stream.js';
import type { MuxDemuxSession } from './mux-demux-session.js';
import { type RelayBody, relayBody } from './relay-body.js';
import { parseReplyPreamble, type ReplyHead, requestPreamble } from './relay-preamble.js';

export const RELAY_PREFIX = 'relay:';

export function relayOverMux(
  session: MuxDemuxSession,
  limits: LegacyLimits,
  port: number,
  request: RelayRequest,
  options: RelayOptions,
): Promise<RelayResponse> {
  return new Promise((resolve, reject) => {
    let stream: LegacyStream | undefined;
    let body: RelayBody | undefined;
    const reading = new AbortController();
    const deadline = new ExchangeDeadline(options, 'reply', (error) => {
      reading.abort();
      stream?.destroy();
      reject(error);
    });
    if (deadline.settled) return;

    const finished = (cause: StreamEndCause, what: string) => {
      const error =
        cause === 'lost'
          ? new RelayError('bolt-lost', 'the legacy bolt closed mid-exchange')
          : new RelayError('upstream-failed', what);
      if (deadline.settled) body?.fail(error);
      else deadline.fail(error);
    };

    // A `localFailure` head, held until the next frame says whether a body follows it.
    let held: ReplyHead | undefined;

    const send = (data: PreambleData) => {
      stream = session.open(`${RELAY_PREFIX}${port}`, { writable: true, readable: true }, true);
      if (!stream) {
        deadline.fail(
          session.isClosed
            ? new RelayError('bolt-lost', 'the legacy bolt closed before the request could be sent')
            : new RelayError('refused', 'too many relays are open on this legacy bolt'),
        );
        return;
      }
      const open = stream;
      open.listener = {
        data: (payload) => {
          if (deadline.settled) return body?.push(payload);
          if (held) {
            answer(open, held);
            body?.push(payload);
            return;
          }
          let head: ReplyHead;
          try {
            head = parseReplyPreamble(payload);
          } catch (error) {
            deadline.fail(
              error instanceof RelayError ? error : new RelayError('protocol', 'bad reply preamble'),
            );
            return;
          }
          if (head.localFailure) held = head;
          else answer(open, head);
        },
        end: () => {
          if (held && !deadline.settled) {
            deadline.fail(
              new RelayError(
                'upstream-unreachable',
                `the agent could not reach its local service on port ${port} (it answered 500 with no headers)`,
              ),
            );
            return;
          }
          if (!deadline.settled) {
            // What a 0.4.3 agent does for a port it does not allow, or a preamble it cannot parse.
            deadline.fail(new RelayError('upstream-failed', `the agent ended relay:${port} without a reply`));
            return;
          }
          body?.end();
        },
        closed: (cause) => finished(cause, `the agent closed relay:${port} before its reply ended`),
        error: (message) => {
          finished('closed', `the agent failed relay:${port}: ${message}`);
          open.destroy();
        },
      };
      open.write(requestPreamble(request.method, request.path, data));
      open.end();
    };

    const answer = (open: LegacyStream, head: ReplyHead) => {
      deadline.settle();
      if (!hasNoBody(request.method, head.status)) {
        body = relayBody(open, {
          highWaterBytes: limits.bodyHighWaterBytes,
          maxQueueBytes: limits.maxBodyQueueBytes,
        });
      }
      resolve({ status: head.status, headers: head.headers, body: body?.body ?? null });
    };

    // The body is read first: a refusal (415, 413) must leave nothing on the wire.
    readJsonBody(request, limits.maxRequestBodyBytes, reading.signal).then(
      (data) => {
        if (!deadline.settled) send(data);
      },
      (error: unknown) => {
        deadline.fail(error instanceof RelayError ? error : new RelayError('upstream-failed', String(error)));
      },
    );
  });
}
