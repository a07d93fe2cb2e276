/**
 * Response headers the document describes on the checksum-bearing routes (see `checksum-headers.ts`).
 */
import { CHECKSUM_HEADER } from '../checksum-headers.js';

const HEX_MD5 = { type: 'string', pattern: '^[0-9a-f]{32}$' } as const;

export function checksumHeaders(what: string) {
  return {
    'Content-MD5': {
      description:
        `${what}, as 32 hex digits. NOT RFC 1864's base64 MD5 of the body: stormtower keeps the meaning ` +
        'older stormbolt pollers rely on. The same value is sent as `X-Stormtower-Checksum`.',
      schema: HEX_MD5,
    },
    [CHECKSUM_HEADER]: {
      description: `${what}, as 32 hex digits (the value of \`Content-MD5\`).`,
      schema: HEX_MD5,
    },
    ETag: {
      description: 'Weak tag; send it back in `If-None-Match` for a bodiless 304',
      schema: { type: 'string' } as const,
    },
  };
}

export const IF_NONE_MATCH = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description: 'A tag from an earlier `ETag`: the answer is a bodiless 304 while it still matches',
  schema: { type: 'string' },
} as const;
