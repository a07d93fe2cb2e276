/**
 * The tower's settings: one zod schema holding every key, its default and its limits, so
 * `stormtower start` (via loadConfig) and tests agree on what a valid tower looks like.
 * Also exports the small field builders the agent's schema shares.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

// Messages say what is expected; loadConfig appends where the value came from and what it was.
const PORT = 'expected an integer from 0 to 65535';

/** A TCP port to listen on; 0 asks the OS for any free port. */
export function listenPort() {
  return z.int({ error: PORT }).min(0, { error: PORT }).max(65535, { error: PORT });
}

/** A positive duration in seconds; fractions allowed so tests can run fast. */
export function seconds() {
  return z
    .number({ error: 'expected a number of seconds' })
    .positive({ error: 'expected a number of seconds greater than 0' });
}

/** A positive whole number (counts, milliseconds, bytes). */
export function positiveInt(what: string) {
  const message = `expected a whole number of ${what} greater than 0`;
  return z.int({ error: message }).positive({ error: message });
}

// Data writers stop at 1 MiB of untaken output; a ceiling below twice that could close a busy bolt.
const MIN_OUTPUT_BACKLOG = 2 * 1024 * 1024;

/** Bytes of output a peer may leave untaken before its bolt is closed (both transports, both sides). */
export function outputBacklogLimit() {
  const message = `expected a whole number of bytes of at least ${MIN_OUTPUT_BACKLOG} (twice the data high-water mark)`;
  return z.int({ error: message }).min(MIN_OUTPUT_BACKLOG, { error: message }).default(4194304);
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How log lines look: JSON for collectors, or pretty coloured lines for a person. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Absent means: pretty when stdout is a terminal, JSON otherwise. */
export function logFormat() {
  return z.enum(LOG_FORMATS, { error: `expected one of ${LOG_FORMATS.join(', ')}` }).optional();
}

export function logLevel() {
  return z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info');
}

/**
 * Cross-field rule: a beacon must be sent more often than it expires, or a healthy link
 * would be declared dead between two beacons.
 */
export function checkBeaconTiming(
  value: { beaconInterval: number; beaconValidity: number },
  ctx: z.RefinementCtx,
): void {
  if (value.beaconValidity <= value.beaconInterval) {
    ctx.addIssue({
      code: 'custom',
      path: ['beaconValidity'],
      message: `must be greater than beaconInterval (${value.beaconInterval})`,
    });
  }
}

/** The API token comes from one place: given twice, which one was meant is anyone's guess. */
function checkOneApiToken(value: { apiToken?: string; apiTokenFile?: string }, ctx: z.RefinementCtx): void {
  if (value.apiToken !== undefined && value.apiTokenFile !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['apiTokenFile'],
      message: 'give either apiToken or apiTokenFile, not both',
    });
  }
}
export const DUPLICATE_POLICIES = ['refuse', 'replace'] as const;

const NATS_URL = 'expected a nats:// or tls:// URL such as nats://127.0.0.1:4222';

/** A NATS server of the cluster; user and password may ride in the URL. */
const natsUrl = z.string({ error: NATS_URL }).refine(
  (raw) => {
    try {
      const url = new URL(raw);
      return (url.protocol === 'nats:' || url.protocol === 'tls:') && url.hostname !== '';
    } catch {
      return false;
    }
  },
  { error: NATS_URL },
);

const ORIGIN = 'expected a web origin such as https://a.example:8443 (scheme, host and port only)';

/** A browser origin allowed to call the read API: exactly what a browser sends as `Origin`. */
const webOrigin = z.string({ error: ORIGIN }).refine(
  (raw) => {
    try {
      const url = new URL(raw);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === raw;
    } catch {
      return false;
    }
  },
  { error: ORIGIN },
);

/** A tower's name in the cluster: also a log field and a bucket key. */
export const TOWER_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export const towerConfigSchema = z
  .object({
    /** Where the tower keeps its CA, certificates and state. */
    dataDir: z
      .string({ error: 'expected a directory path' })
      .min(1, { error: 'must not be empty' })
      .default('./.stormtower'),
    boltHost: z
      .string({ error: 'expected a host or address' })
      .min(1, { error: 'must not be empty' })
      .default('0.0.0.0'),
    boltPort: listenPort().default(8443),
    apiHost: z
      .string({ error: 'expected a host or address' })
      .min(1, { error: 'must not be empty' })
      .default('127.0.0.1'),
    apiPort: listenPort().default(8020),
    beaconInterval: seconds().default(10),
    beaconValidity: seconds().default(45),
    relayTimeout: seconds().default(20),
    /** A relayed body on which no byte moves for this long, either way, is aborted. */
    relayIdleTimeout: seconds()
      .max(2_147_483, { error: "expected at most 2147483 seconds (a Node timer's limit)" })
      .default(60),
    /** Addresses of proxies in front of the API whose X-Forwarded-For is kept (and extended). */
    trustProxy: z
      .array(
        z.string({ error: 'expected an IP address' }).refine((value) => isIP(value) !== 0, {
          error: 'expected an IPv4 or IPv6 address',
        }),
        { error: 'expected a list of IP addresses' },
      )
      .default([]),
    /** Bearer token for the north-bound API; absent means no token is required. */
    apiToken: z
      .string({ error: 'expected a token string' })
      .min(1, { error: 'must not be empty' })
      .optional(),
    /** Browser origins allowed to call the read API (CORS, credentials included); none by default. */
    corsOrigin: z.array(webOrigin, { error: 'expected a list of origins' }).default([]),
    /** Browser sessions (from `POST /session`) held at once; past it the least recently used goes. */
    sessionLimit: positiveInt('sessions').default(1000),
    /** A browser session unused this long is signed out. */
    sessionIdleTimeout: seconds().default(8 * 3600),
    /** A file holding the API token, so it stays off the command line (argv is visible in `ps`). */
    apiTokenFile: z
      .string({ error: 'expected a file path' })
      .min(1, { error: 'must not be empty' })
      .optional(),
    /** Extra DNS names / addresses for the tower's server certificate. */
    names: z
      .array(z.string({ error: 'expected a name' }).min(1, { error: 'must not be empty' }), {
        error: 'expected a list of names',
      })
      .default([]),
    monitorInterval: positiveInt('milliseconds').default(15000),
    statusPort: listenPort().default(5000),
    statusPath: z
      .string({ error: 'expected a URL path' })
      .startsWith('/', { error: 'must start with "/"' })
      .default('/status'),
    statusBodyLimit: positiveInt('bytes').default(1048576),
    pollConcurrency: positiveInt('requests').default(64),
    capabilityTimeout: seconds().default(15),
    outputBacklogLimit: outputBacklogLimit(),
    /** Both TLS listeners, before a peer is authenticated (src/listen/pre-auth-guard.ts). */
    tlsHandshakeTimeout: seconds().default(10),
    upgradeTimeout: seconds().default(10),
    handshakeLimit: positiveInt('connections').default(256),
    handshakeLimitPerAddress: positiveInt('connections').default(128),
    /** Least time between two capability changes of one bolt; Hellos in between are coalesced. */
    capabilityInterval: seconds().default(1),
    /** A second bolt for a cname whose bolt is alive: refused (4015), or it replaces the first (4013). */
    onDuplicate: z
      .enum(DUPLICATE_POLICIES, { error: `expected one of ${DUPLICATE_POLICIES.join(', ')}` })
      .default('refuse'),
    logLevel: logLevel(),
    logFormat: logFormat(),
    /** A file for the audit log (one JSON line per relay), reopened on SIGHUP; absent: the tower's log. */
    auditLog: z.string({ error: 'expected a file path' }).min(1, { error: 'must not be empty' }).optional(),
    /** Log relayed paths with their query string (off by default: queries may carry secrets). */
    auditQuery: z.boolean({ error: 'expected true or false' }).default(false),
    /** A plain-HTTP listener serving only `GET /metrics`, without the API token; absent means off. */
    metricsPort: listenPort().optional(),
    /** Where that listener binds; loopback by default, as metrics tell much about the fleet. */
    metricsHost: z
      .string({ error: 'expected a host or address' })
      .min(1, { error: 'must not be empty' })
      .default('127.0.0.1'),
    /** Port of the XState inspector bridge (loopback only); absent means off. */
    inspect: listenPort().optional(),
    /** The inspector the bridge page embeds, for a self-hosted copy; absent means https://stately.ai/inspect. */
    inspectUrl: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .max(2048, { error: 'expected a URL of at most 2048 characters' })
      .optional(),
    /** Port for the legacy protocol listener (later feature); absent means off. */
    legacyPort: listenPort().optional(),
    /** After a restart, how long a legacy minion connected before has to come back before it is named missing. */
    legacyMissingAfter: seconds().default(60),
    /** Most legacy cnames remembered in <dataDir>/legacy-seen.json (the least recently seen are dropped). */
    legacySeenLimit: positiveInt('cnames').default(10000),
    headerRelay: z.boolean({ error: 'expected true or false' }).default(false),
    /** On SIGTERM/SIGINT, seconds allowed for a clean stop before the tower exits anyway. */
    shutdownGrace: seconds().default(5),
    /** On SIGTERM, seconds relays in flight may still run before they are cut (the drain). */
    drainTimeout: seconds().default(30),
    /** On a drain, agents are told to redial after a random delay up to this many seconds. */
    redialSpread: seconds().default(10),
    /** Answer GET /health and /ready without the API token (for probes that cannot send one). */
    publicHealth: z.boolean({ error: 'expected true or false' }).default(false),
    /** Serve the fleet console at `/ui/` on the API port (`--no-ui` turns it off). */
    ui: z.boolean({ error: 'expected true or false' }).default(true),
    /** Bytes an event-stream subscriber may leave unread (besides its first snapshot) before it is dropped. */
    feedBacklogLimit: positiveInt('bytes').default(1048576),
    /** The share of the tower's time that writing changes to event-stream subscribers may take on average. */
    feedWriteShare: z
      .number({ error: 'expected a fraction' })
      .gt(0, { error: 'expected a fraction greater than 0 and at most 1' })
      .max(1, { error: 'expected a fraction greater than 0 and at most 1' })
      .default(0.25),
    /**
     * How far (percent) V8 lets the old generation grow past what the last mark-compact kept before
     * the next, for a heap large enough that this is over 96 MiB (a large fleet; smaller heaps get
     * 96 MiB of room); 0 leaves it all to V8, whose own factor let 10,000 bolts' heap reach about
     * twice its live size (src/cli/gc-schedule.ts).
     */
    heapGrowth: z
      .int({ error: 'expected a whole percentage from 0 to 400' })
      .min(0, { error: 'expected a whole percentage from 0 to 400' })
      .max(400, { error: 'expected a whole percentage from 0 to 400' })
      .default(40),
    /** How long a dropped subscriber has to read its final `dropped` event before it is cut off. */
    feedDropGrace: seconds().default(5),
    /** The reconnect delay the event stream asks EventSource clients to use (its `retry:` hint). */
    feedRetry: positiveInt('milliseconds').default(3000),
    /** NATS servers of the cluster to join; none means a single tower, and no NATS at all. */
    cluster: z.array(natsUrl, { error: 'expected a list of nats:// URLs' }).default([]),
    /** A NATS credentials file (JWT and seed) for the cluster connection. */
    clusterCreds: z
      .string({ error: 'expected a file path' })
      .min(1, { error: 'must not be empty' })
      .optional(),
    /** The CA that signed the NATS servers' certificates, for tls:// URLs (the system's CAs by default). */
    clusterCa: z.string({ error: 'expected a file path' }).min(1, { error: 'must not be empty' }).optional(),
    /** This tower's name in the cluster; by default the host name and bolt port. */
    towerId: z
      .string({ error: 'expected a tower id' })
      .regex(TOWER_ID_PATTERN, { error: 'expected 1-128 characters of A-Z a-z 0-9 . _ -' })
      .optional(),
    /** A tower unheard this long is dead; its minions that did not reconnect elsewhere are removed. */
    clusterPresenceTimeout: seconds().default(15),
    /** Where other towers relay to the minions this tower holds (mutual TLS). */
    clusterHost: z
      .string({ error: 'expected a host or address' })
      .min(1, { error: 'must not be empty' })
      .default('0.0.0.0'),
    clusterPort: listenPort().default(9443),
    /** The https:// URL other towers dial for relays; by default this host's name and the cluster port. */
    clusterAdvertise: z.url({ protocol: /^https$/, error: 'expected an https:// URL' }).optional(),
  })
  .superRefine(checkBeaconTiming)
  .superRefine(checkOneApiToken);

export type TowerConfig = z.output<typeof towerConfigSchema>;
