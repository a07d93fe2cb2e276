/**
 * The request body as a legacy agent can carry it: parsed JSON, sent inside the request preamble as
 * `data`, which the agent re-serialises as the body of its local request (with
 * `Content-Type: application/json`, whatever the caller sent). A form body becomes the JSON object
 * the old tower's body parser made of it (`form-body.ts`). Anything else cannot cross, so it is
 * refused before a frame is written: another declared content type or a body that does not parse
 * is `unsupported-body` (415), and a body past the limit is `body-too-large` (413).
 */

import { readWithin } from '../link/read-within.js';
import type { HeaderList, RelayRequest } from '../link/relay.js';
import { RelayError } from '../link/relay-error.js';
import { parseForm, TooManyParameters } from './form-body.js';

/** What goes into the preamble: nothing (no `data` key) or one JSON value. */
export type PreambleData = { readonly present: false } | { readonly present: true; readonly value: unknown };

const NO_DATA: PreambleData = { present: false };

export async function readJsonBody(
  request: RelayRequest,
  limit: number,
  signal: AbortSignal,
): Promise<PreambleData> {
  if (!request.body) return NO_DATA;
  const type = headerValue(request.headers, 'content-type');
  const form = type !== undefined && mediaType(type) === FORM_TYPE;
  if (type !== undefined && !form && !isJsonType(type)) {
    if (await isEmpty(request.body)) return NO_DATA;
    throw unsupported(
      `a ${mediaType(type)} body cannot reach a legacy agent: it carries application/json and ${FORM_TYPE} only`,
    );
  }
  let bytes: Buffer | undefined;
  try {
    bytes = await readWithin(request.body, limit, signal);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new RelayError('upstream-failed', `the request body failed: ${message}`);
  }
  if (!bytes)
    throw new RelayError('body-too-large', `a legacy agent takes request bodies of at most ${limit} bytes`);
  // An empty body, declared JSON or not, is no body: the agent then sends none either.
  if (bytes.length === 0) return NO_DATA;
  if (form) return { present: true, value: formValue(bytes) };
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return { present: true, value: JSON.parse(text) };
  } catch {
    throw unsupported(
      `the body is not valid JSON, and a legacy agent carries application/json and ${FORM_TYPE} bodies only`,
    );
  }
}

function formValue(bytes: Buffer): Record<string, unknown> {
  try {
    // Percent-escapes carry any byte; a raw byte past ASCII is read as UTF-8, as body-parser did.
    return parseForm(new TextDecoder('utf-8').decode(bytes));
  } catch (error) {
    if (error instanceof TooManyParameters) throw new RelayError('body-too-large', error.message);
    throw error;
  }
}

export function headerValue(headers: HeaderList, name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]?.toLowerCase() === name) return headers[i + 1];
  }
  return undefined;
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

const mediaType = (type: string): string => type.split(';')[0]?.trim().toLowerCase() ?? '';

/** `application/json`, `text/json` and any `+json` type (RFC 6839), parameters ignored. */
function isJsonType(type: string): boolean {
  const media = mediaType(type);
  const subtype = media.split('/')[1] ?? '';
  return subtype === 'json' || subtype.endsWith('+json');
}

const unsupported = (message: string) => new RelayError('unsupported-body', message);

/** Reads up to the first byte: true when the body turns out empty; a non-empty body is cancelled. */
async function isEmpty(body: AsyncIterable<Uint8Array>): Promise<boolean> {
  const chunks = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      const { done, value } = await chunks.next();
      if (done) return true;
      if (value.length > 0) {
        await chunks.return?.().catch(() => {});
        return false;
      }
    }
  } catch {
    return false;
  }
}
