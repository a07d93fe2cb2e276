/**
 * `/clients`: the connected bolts, as the old stormbolt API listed them (plus transport and time).
 *
 * `HEAD /clients` carries `Content-MD5` and `X-Stormtower-Checksum`: the MD5 hex of the sorted
 * cnames, each followed by "\n", so a poller learns of a connect or disconnect with one cheap request. `ETag` (weak, the MD5 of the
 * body) lets a poller that wants every field answer `If-None-Match` with a bodiless 304.
 *
 * A legacy bolt is listed once its capability arrived, as the old tower listed a client only when
 * ready. `GET /clients?missing=1` lists instead the legacy minions connected before the last restart
 * that have not come back (see src/legacy/legacy-seen.ts).
 */
import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { RecordSummary } from '../../cluster/minion-record.js';
import type { Bolt } from '../../link/bolt.js';
import type { BoltTable } from '../../link/bolt-table.js';
import { setChecksum } from '../checksum-headers.js';
import { apiError } from '../errors.js';
import { ifNoneMatch, weakTag } from '../etag.js';
import { describedRoutes } from '../openapi/described-routes.js';
import { checksumHeaders, IF_NONE_MATCH } from '../openapi/headers.js';
import { preEncodedJson } from '../openapi/pre-encoded.js';
import {
  ApiErrorSchema,
  ClientIdParamSchema,
  ClientListSchema,
  ClientSchema,
  ClientsQuerySchema,
  MissingClientSchema,
} from '../openapi/schemas.js';

/** The minion actor's side of a bolt: its lifecycle state and last poll error, when it has one. */
export type MinionStatusLookup = (
  cname: string,
  boltId: string,
) => { readonly state: string; readonly lastError: unknown } | undefined;

export interface ClientView {
  readonly cname: string;
  readonly ports: readonly number[];
  readonly address: string;
  readonly connectedAt: string;
  readonly transport: string;
  readonly state: string;
  readonly lastError: unknown;
  /** Agents that contended for this cname while it was held without a gap; see `BoltTable`. */
  readonly conflicts: number;
  readonly lastConflictAddress: string | null;
}

export const clientView = (bolt: Bolt, minionStatus?: MinionStatusLookup): ClientView => {
  const minion = minionStatus?.(bolt.cname, bolt.boltId);
  return {
    cname: bolt.cname,
    ports: bolt.ports ?? [],
    address: bolt.address,
    connectedAt: bolt.connectedAt.toISOString(),
    transport: bolt.transport,
    state: minion?.state ?? (bolt.ports ? 'connected' : 'connecting'),
    lastError: minion?.lastError ?? null,
    conflicts: bolt.conflicts,
    lastConflictAddress: bolt.lastConflictAddress,
  };
};

export function clientsChecksum(bolts: readonly Pick<Bolt, 'cname'>[]): string {
  const hash = createHash('md5');
  for (const bolt of bolts) hash.update(`${bolt.cname}\n`);
  return hash.digest('hex');
}

/** Legacy minions connected before a restart and not back within the grace; empty until it passed. */
export type MissingClients = () => readonly { readonly cname: string; readonly lastSeen: string }[];

// A legacy connection is a client only once ready: before its capability it may still be refused.
const listed = (bolt: Bolt): boolean => bolt.transport !== 'legacy' || bolt.ports !== null;

/** In a cluster, the bolts other towers hold, as they published them. */
export type RemoteClients = () => Iterable<RecordSummary>;

/** Another tower's bolt, from its record; `tower` names the tower that holds it. */
export const recordClientView = (record: RecordSummary): ClientView & { readonly tower: string } => ({
  cname: record.cname,
  ports: record.link?.ports ?? [],
  address: record.link?.address ?? '',
  connectedAt: new Date(record.connectedAt).toISOString(),
  transport: record.link?.transport ?? 'unknown',
  state: record.state,
  lastError: record.lastError,
  conflicts: 0,
  lastConflictAddress: null,
  tower: record.owner,
});

const listRoute = createRoute({
  method: 'get',
  path: '/clients',
  operationId: 'listClients',
  summary: 'The connected bolts, sorted by cname (HEAD: the checksum only)',
  description:
    'With `?missing=1`: instead, the legacy minions connected before the last restart that have not come back ' +
    '(an empty list until the grace after the restart has passed).',
  request: { query: ClientsQuerySchema },
  parameters: [IF_NONE_MATCH],
  responses: {
    200: {
      description: 'The bolts (or, with `?missing=1`, the missing legacy minions)',
      headers: checksumHeaders(
        'MD5 of the sorted cnames, each followed by `\\n` (not sent with `?missing=1`)',
      ),
      content: { 'application/json': { schema: ClientListSchema.or(z.array(MissingClientSchema)) } },
    },
    304: { description: 'Unchanged since the `If-None-Match` tag (the body’s own MD5)' },
    400: {
      description: '`missing` is not `0` or `1`',
      content: { 'application/json': { schema: ApiErrorSchema } },
    },
  },
});

const oneRoute = createRoute({
  method: 'get',
  path: '/clients/{id}',
  operationId: 'getClient',
  summary: 'One connected bolt',
  request: { params: ClientIdParamSchema },
  responses: {
    200: { description: 'The bolt', content: { 'application/json': { schema: ClientSchema } } },
    404: {
      description: 'No bolt is connected as this cname (`unknown-client`)',
      content: { 'application/json': { schema: ApiErrorSchema } },
    },
  },
});

export function clientRoutes(
  table: BoltTable,
  minionStatus?: MinionStatusLookup,
  remoteClients?: RemoteClients,
  missingClients?: MissingClients,
) {
  const everyClient = (): ClientView[] => {
    const views = table
      .list()
      .filter(listed)
      .map((bolt) => clientView(bolt, minionStatus));
    if (remoteClients === undefined) return views;
    const local = new Set(views.map((view) => view.cname));
    for (const record of remoteClients()) if (!local.has(record.cname)) views.push(recordClientView(record));
    return views.sort((a, b) => (a.cname < b.cname ? -1 : a.cname > b.cname ? 1 : 0));
  };
  return describedRoutes()
    .openapi(listRoute, (c) => {
      if (c.req.valid('query').missing === '1') return c.json(missingClients?.() ?? [], 200);
      // Hono answers HEAD through this GET handler and drops the body, so the digest is set here.
      const views = everyClient();
      setChecksum(c, clientsChecksum(views));
      // The tag covers the whole body (states and errors change without a connect), so it is the
      // body's own digest; Content-MD5 stays the cname digest stormbolt pollers compare.
      const body = JSON.stringify(views);
      const tag = createHash('md5').update(body).digest('hex');
      c.header('ETag', weakTag(tag));
      if (ifNoneMatch(c.req.header('If-None-Match'), tag)) return c.body(null, 304);
      return preEncodedJson<z.infer<typeof ClientListSchema>>(c, body);
    })
    .openapi(oneRoute, (c) => {
      const { id } = c.req.valid('param');
      const bolt = table.get(id);
      if (bolt && listed(bolt)) return c.json(clientView(bolt, minionStatus), 200);
      for (const record of remoteClients?.() ?? [])
        if (record.cname === id) return c.json(recordClientView(record), 200);
      throw apiError(404, 'unknown-client', `no bolt is connected as "${id}"`);
    });
}
