/**
 * A typed client for a tower's API (`import { createStormtowerClient } from 'stormtower/client'`),
 * Hono's `hc` over the routes' own types: paths, parameters and JSON answers are checked by tsc.
 *
 *   const tower = createStormtowerClient('https://tower:8443', { token });
 *   const res = await tower.minions[':id'].$get({ param: { id: 'web-1' } });
 *   if (res.ok) console.log((await res.json()).id, res.headers.get('X-Stormtower-Checksum'));
 */
import { type ClientRequestOptions, hc } from 'hono/client';
import type { StormtowerApi } from './api-type.js';

export type { StormtowerApi } from './api-type.js';

export interface StormtowerClientOptions {
  /** The API token (`--api-token`), sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Another fetch (a test's `app.request`, undici with a custom dispatcher for a private CA). */
  readonly fetch?: ClientRequestOptions['fetch'];
  /** Headers sent with every request, besides the token's. */
  readonly headers?: Readonly<Record<string, string>>;
}

export function createStormtowerClient(baseUrl: string, options: StormtowerClientOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  return hc<StormtowerApi>(baseUrl, { headers, ...(options.fetch ? { fetch: options.fetch } : {}) });
}

export type StormtowerClient = ReturnType<typeof createStormtowerClient>;
