/**
 * Fuzz input for PEM decoders: a real document with one byte of its DER flipped, so the ASN.1
 * parser and the signature check behind it both meet damage a plain random string never reaches.
 */
import fc from 'fast-check';

/** `pem` (a `label` block) with one DER byte flipped, wrapped again as a `label` block. */
export function flippedPem(pem: string, label: string): fc.Arbitrary<string> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  return fc.tuple(fc.nat(der.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, flip]) => {
    const bytes = Buffer.from(der);
    bytes[at] = (bytes[at] ?? 0) ^ flip;
    return `-----BEGIN ${label}-----\n${bytes.toString('base64')}\n-----END ${label}-----\n`;
  });
}
