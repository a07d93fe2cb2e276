/**
 * Settings for `stormtower agent` (a minion): which towers to dial, the TLS material to
 * prove who it is, and which local ports the tower may relay to.
 */
import { z } from 'zod';
import { checkBeaconTiming, logFormat, logLevel, outputBacklogLimit, seconds } from './tower-config.js';

const TOWER_URL = 'expected a wss://host:port[/path] URL';

/** Why `raw` is not a usable tower URL, or undefined when it is. */
export function towerUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return TOWER_URL;
  }
  if (url.protocol !== 'wss:') return `${TOWER_URL} (bolts are always TLS), not ${url.protocol}//`;
  if (url.hostname === '') return `${TOWER_URL}: missing host`;
  // URL drops an explicit default port (":443"), so look at the text itself: the tower's
  // bolt port is rarely 443 and a forgotten port would otherwise fail only at connect time.
  const authority = raw.slice('wss://'.length).split(/[/?#]/, 1)[0] ?? '';
  if (!/:\d+$/.test(authority)) return `${TOWER_URL}: missing port`;
  if (url.username !== '' || url.password !== '') return `${TOWER_URL}: credentials do not belong in it`;
  return undefined;
}

export const towerUrl = z.string({ error: TOWER_URL }).superRefine((raw, ctx) => {
  const problem = towerUrlProblem(raw);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const PORT = 'expected a port from 1 to 65535';

/** Local ports the tower may relay to: at least one, each once. */
export const allowedPorts = z
  .array(z.int({ error: PORT }).min(1, { error: PORT }).max(65535, { error: PORT }), {
    error: 'expected a list of ports',
  })
  .min(1, { error: 'must list at least one port' })
  .superRefine((ports, ctx) => {
    const seen = new Set<number>();
    for (const port of ports) {
      if (seen.has(port)) ctx.addIssue({ code: 'custom', message: `port ${port} is listed more than once` });
      seen.add(port);
    }
  });

const filePath = (what: string) =>
  z.string({ error: `expected the path of ${what}` }).min(1, { error: 'must not be empty' });

export const agentConfigSchema = z
  .object({
    towers: z
      .array(towerUrl, { error: 'expected a list of wss:// URLs' })
      .min(1, { error: 'must list at least one tower URL' }),
    cert: filePath("the agent's certificate (PEM)"),
    key: filePath("the agent's private key (PEM)"),
    ca: filePath('the CA certificate that signed the tower (PEM)'),
    allow: allowedPorts,
    beaconInterval: seconds().default(10),
    beaconValidity: seconds().default(45),
    /** Upper bound for the reconnect delay, which grows after each failed attempt. */
    maxBackoff: seconds().default(30),
    outputBacklogLimit: outputBacklogLimit(),
    /** On SIGTERM/SIGINT, seconds allowed for a clean stop before the agent exits anyway. */
    shutdownGrace: seconds().default(5),
    /** Where relayed requests go; absent means 127.0.0.1 (a sidecar or container address otherwise). */
    localHost: z
      .string({ error: 'expected a host or address' })
      .min(1, { error: 'must not be empty' })
      .optional(),
    logLevel: logLevel(),
    logFormat: logFormat(),
  })
  .superRefine(checkBeaconTiming);

export type AgentConfig = z.output<typeof agentConfigSchema>;
