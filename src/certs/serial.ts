/**
 * Certificate serial numbers in one spelling: lowercase hex without leading zeros. Node prints them
 * in upper case, @peculiar/x509 keeps the DER sign byte, operators paste either.
 */
export function normalizeSerial(hex: string): string {
  const digits = hex.replace(/[:\s]/g, '').toLowerCase().replace(/^0+/, '');
  return digits === '' ? '0' : digits;
}

/** Whether `text` reads as a serial (hex, optionally colon-separated) rather than a cname. */
export const looksLikeSerial = (text: string): boolean => /^[0-9a-fA-F]{16,64}$/.test(text.replace(/:/g, ''));
