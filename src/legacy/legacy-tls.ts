/**
 * TLS settings of the legacy listener, and only of it: deployed agents run Node 0.10 on OpenSSL
 * 1.0.1, which speaks TLS 1.2 at best and none of the TLS 1.3 or ChaCha20 suites.
 *
 * Node's default list already reaches most of these through `HIGH`; naming the 2013-era suites
 * keeps them offered whatever that default becomes. Which of them can be negotiated depends on the
 * tower certificate's key: ECDHE-ECDSA-* need an ECDSA certificate, ECDHE-RSA-* and the static-RSA
 * AES128-* need an RSA one. The listener takes several certificate/key pairs, and OpenSSL picks the
 * one that fits the suite, so an ECDSA and an RSA certificate together serve every agent.
 */
import { DEFAULT_CIPHERS } from 'node:tls';

export const LEGACY_SUITES = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-SHA256',
  'ECDHE-RSA-AES128-SHA256',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA',
  'AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-SHA256',
  'AES128-SHA',
  'AES256-SHA',
] as const;

/** Node's defaults first (TLS 1.3 and the modern suites win for modern clients), then the old ones. */
export const LEGACY_CIPHERS = `${DEFAULT_CIPHERS}:${LEGACY_SUITES.join(':')}`;

export const LEGACY_TLS = {
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  ciphers: LEGACY_CIPHERS,
  honorCipherOrder: true,
} as const;

/** TCP keep-alive on both ends, as stormbolt set it. */
export const KEEP_ALIVE_MS = 60_000;
