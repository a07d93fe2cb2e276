/**
 * A bolt with no network under it that answers relays from a function, for driving `/proxy` and
 * the header relay in process through `app.request()`. Every request it is handed is kept, so a
 * test sees exactly what the API relayed.
 */
import { BoltBase } from '../../src/link/bolt.js';
import type { RelayOptions, RelayRequest, RelayResponse } from '../../src/link/relay.js';

/** How the fake agent answers: a response, or a thrown `RelayError` as a transport would reject. */
export type Answer = (port: number, request: RelayRequest, options: RelayOptions) => Promise<RelayResponse>;

export class AnsweringBolt extends BoltBase {
  readonly transport = 'ws' as const;
  readonly openStreams = 0;
  readonly lastHeardAt = Date.now();
  readonly requests: RelayRequest[] = [];
  private open = true;

  /** `ports` null is a bolt that has not announced its capability yet. */
  constructor(
    cname: string,
    ports: readonly number[] | null,
    private readonly answer: Answer,
    address = '10.0.0.1',
  ) {
    super(cname, address);
    this.ports = ports;
  }

  get isOpen(): boolean {
    return this.open;
  }

  protected send(port: number, request: RelayRequest, options: RelayOptions): Promise<RelayResponse> {
    this.requests.push(request);
    return this.answer(port, request, options);
  }

  // No parameters: whatever a transport is told on close, this bolt only stops answering.
  close(): void {
    this.open = false;
  }
}

/** A response whose body arrives as a stream of `chunks`, as a transport hands over a large one. */
export function streamed(status: number, headers: string[], chunks: readonly string[]): RelayResponse {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return { status, headers, body };
}

/** Reads a relayed request body to the end, as text. */
export async function bodyText(request: RelayRequest): Promise<string> {
  if (!request.body) return '';
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of request.body) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}
