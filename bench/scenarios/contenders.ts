/**
 * The four paths to the same local HTTP service that the relay scenarios compare:
 * (a) direct, (b) nginx `proxy_pass`, (c) an OpenSSH reverse tunnel, (d) stormtower's
 * `/proxy/<cname>@<port>/` over a real mTLS bolt. Each is started as its own processes and checked
 * with one request before it is measured; one that cannot start is kept with the reason.
 */
import { freshDir, type RunContext } from '../context.js';
import { isAvailable } from '../peers/find-peers.js';
import { startNginx } from '../peers/nginx.js';
import { sshTools, startSshd, startTunnel } from '../peers/sshd.js';
import { startAgent, towerForOneAgent } from '../peers/stormtower.js';
import type { CpuRole } from '../procs/cpu-account.js';
import { freePort } from '../procs/ports.js';
import type { Spawned } from '../procs/spawn.js';
import { request, waitFor } from '../procs/wait.js';
import { startWorker } from '../procs/worker.js';

export type ContenderName = 'direct' | 'nginx' | 'ssh -R' | 'stormtower';

export interface Contender {
  readonly name: ContenderName;
  /** URL prefix that reaches the upstream's root, or why this contender is missing. */
  readonly base: string | { readonly skip: string };
  /** Processes whose memory is watched during bulk transfers (stormtower: tower, agent). */
  readonly watch: readonly CpuRole[];
  /** Every process that relays for this contender, with its descendants counted, for CPU per request. */
  readonly relays: readonly CpuRole[];
}

export interface Contenders {
  readonly list: readonly Contender[];
  /** The local HTTP service all contenders reach. */
  readonly upstream: CpuRole;
  readonly configs: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

const CNAME = 'bench-relay';

/** One GET of 1 KB, so a contender that answers wrongly is skipped rather than measured. */
async function check(base: string): Promise<void> {
  const res = await request(`${base}/1k`, 'GET', 10_000);
  if (res.status !== 200 || res.body.length !== 1024) {
    throw new Error(`GET ${base}/1k answered ${res.status} with ${res.body.length} bytes`);
  }
}

const message = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

export async function startContenders(ctx: RunContext): Promise<Contenders> {
  const procs: Spawned[] = [];
  const configs: Record<string, string> = {};
  const upstream = startWorker(ctx, 'upstream', [0]);
  procs.push(upstream);
  const { port } = await upstream.next<{ type: 'ready'; port: number }>('ready', 10_000);
  const direct = `http://127.0.0.1:${port}`;
  await check(direct);
  const list: Contender[] = [{ name: 'direct', base: direct, watch: [], relays: [] }];

  const attempt = async (name: ContenderName, up: () => Promise<Omit<Contender, 'name'>>) => {
    try {
      const contender = { name, ...(await up()) };
      if (typeof contender.base === 'string') await check(contender.base);
      list.push(contender);
    } catch (error) {
      list.push({ name, base: { skip: message(error) }, watch: [], relays: [] });
    }
  };

  const { nginx } = ctx.peers;
  await attempt('nginx', async () => {
    if (!isAvailable(nginx)) return { base: { skip: nginx.skip }, watch: [], relays: [] };
    const running = await startNginx(nginx.path, await freshDir(ctx, 'nginx'), await freePort(), port);
    procs.push(running.proc);
    configs['nginx.conf'] = running.config;
    return {
      base: `http://127.0.0.1:${running.port}`,
      watch: [],
      relays: [{ role: 'nginx', pid: running.proc.pid }],
    };
  });

  await attempt('ssh -R', async () => {
    const tools = sshTools(ctx.peers);
    if ('skip' in tools) return { base: { skip: tools.skip }, watch: [], relays: [] };
    const server = await startSshd(tools, await freshDir(ctx, 'sshd-relay'), await freePort());
    procs.push(server.proc);
    configs.sshd_config = server.config;
    const tunnelPort = await freePort();
    const tunnel = await startTunnel(tools, server, tunnelPort, port);
    procs.push(tunnel);
    return {
      base: `http://127.0.0.1:${tunnelPort}`,
      watch: [],
      relays: [
        { role: 'sshd', pid: server.proc.pid },
        { role: 'ssh', pid: tunnel.pid },
      ],
    };
  });

  await attempt('stormtower', async () => {
    // The tower polls the upstream's /status like any minion's, at the default interval.
    const { tower, files } = await towerForOneAgent(ctx, {
      dirName: 'tower-relay',
      cname: CNAME,
      statusPort: port,
    });
    procs.push(tower.proc);
    const agent = startAgent(ctx, { boltUrl: tower.boltUrl, files, allow: [port] });
    procs.push(agent);
    const base = `${tower.apiUrl}/proxy/${CNAME}@${port}`;
    await waitFor(
      'the agent bolt',
      async () =>
        (await request(`${base}/1k`, 'GET', 5000).catch(() => undefined))?.status === 200 ? true : undefined,
      { timeoutMs: 20_000 },
    );
    const roles = [
      { role: 'tower', pid: tower.proc.pid },
      { role: 'agent', pid: agent.pid },
    ];
    return { base, watch: roles, relays: roles };
  });

  return {
    list,
    upstream: { role: 'upstream', pid: upstream.pid },
    configs,
    async close() {
      for (const proc of procs.reverse()) await proc.stop();
    },
  };
}
