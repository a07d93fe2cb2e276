/**
 * Dead agent: an agent that is frozen (SIGSTOP, so its TCP connection stays open and only silence
 * can tell) and how long until the tower drops it (its `removed` event), beside an OpenSSH reverse
 * tunnel whose client is frozen the same way, with keep-alive probing set to the same deadline.
 *
 * The bolt expires after `beacon validity` of silence (45 s by default). sshd_config(5) documents
 * a deadline of ClientAliveInterval x ClientAliveCountMax ("15 and the default 3: approximately 45
 * seconds"), so that is the OpenSSH setting with the same documented deadline; what each one really
 * takes is what this scenario measures (sshd 9.2 was seen to take about twice its documented time).
 */
import { freshDir, type RunContext } from '../context.js';
import { ratio, seconds } from '../format.js';
import { type AliveSettings, sshTools, startSshd, startTunnel } from '../peers/sshd.js';
import { startAgent, towerForOneAgent } from '../peers/stormtower.js';
import { monotonicMs } from '../procs/clock.js';
import { InterruptedError } from '../procs/interruptions.js';
import { freePort, isListening } from '../procs/ports.js';
import type { Spawned } from '../procs/spawn.js';
import { listenToFeed } from '../procs/sse-listen.js';
import { waitFor } from '../procs/wait.js';
import { startWorker } from '../procs/worker.js';
import type { Row } from '../types.js';
import type { ScenarioOutput } from './relay-small.js';

const SCENARIO = 'Dead agent';
const CNAME = 'bench-dead';

function freeze(proc: Spawned): void {
  process.kill(proc.pid, 'SIGSTOP');
}

export async function deadAgent(ctx: RunContext): Promise<ScenarioOutput> {
  // Quick mode: short settings on both sides, so a dead peer shows in seconds.
  const beacon = ctx.quick ? { interval: 1, validity: 3 } : { interval: 10, validity: 45 };
  const countMax = 3; // sshd's default
  const alive: AliveSettings = { interval: beacon.validity / countMax, countMax };
  const beaconFlags = [
    '--beacon-interval',
    String(beacon.interval),
    '--beacon-validity',
    String(beacon.validity),
  ];
  const procs: Spawned[] = [];
  try {
    const upstream = startWorker(ctx, 'upstream', [0]);
    procs.push(upstream);
    const { port } = await upstream.next<{ type: 'ready'; port: number }>('ready', 10_000);

    const { tower, files } = await towerForOneAgent(ctx, {
      dirName: 'tower-dead',
      cname: CNAME,
      statusPort: port,
      flags: beaconFlags,
    });
    procs.push(tower.proc);
    const feed = await listenToFeed(`${tower.apiUrl}/minions/events`);
    const agent = startAgent(ctx, { boltUrl: tower.boltUrl, files, allow: [port], flags: beaconFlags });
    procs.push(agent);
    await feed.next('added', CNAME, 30_000);

    const tools = sshTools(ctx.peers);
    let tunnel: { proc: Spawned; port: number } | string;
    if ('skip' in tools) tunnel = tools.skip;
    else {
      const sshd = await startSshd(tools, await freshDir(ctx, 'sshd-dead'), await freePort(), alive);
      procs.push(sshd.proc);
      const tunnelPort = await freePort();
      const proc = await startTunnel(tools, sshd, tunnelPort, port, alive);
      procs.push(proc);
      tunnel = { proc, port: tunnelPort };
    }

    ctx.log(`dead-agent: freezing the agent${typeof tunnel === 'string' ? '' : ' and the ssh client'}`);
    // Room for sshd's observed doubling and then some; past it the result says "still up".
    const limitS = beacon.validity * 3 + 15;
    const stillUp = `still connected ${limitS} s after the freeze`;
    const frozenAt = monotonicMs();
    freeze(agent);
    if (typeof tunnel !== 'string') freeze(tunnel.proc);
    const boltGone = feed.next('removed', CNAME, limitS * 1000).then(
      (at) => (at - frozenAt) / 1000,
      () => stillUp,
    );
    const sshGone =
      typeof tunnel === 'string'
        ? Promise.resolve(`skipped: ${tunnel}`)
        : waitFor(
            'sshd to drop the frozen client',
            async () => ((await isListening(tunnel.port)) ? undefined : true),
            { timeoutMs: limitS * 1000 },
          ).then(
            () => (monotonicMs() - frozenAt) / 1000,
            (error: unknown) => {
              if (error instanceof InterruptedError) throw error;
              return stillUp;
            },
          );
    const [bolt, ssh] = await Promise.all([boltGone, sshGone]);
    feed.close();

    const sshSettings = `ClientAliveInterval ${alive.interval} x ClientAliveCountMax ${alive.countMax} = ${beacon.validity} s documented; ServerAlive* alike`;
    const rows: Row[] = [
      {
        key: 'dead-agent.ssh',
        scenario: SCENARIO,
        label: 'OpenSSH: frozen ssh -R client dropped',
        result: typeof ssh === 'string' ? ssh : `${seconds(ssh)} (${sshSettings})`,
        ...(typeof ssh === 'number' ? { ratio: 'baseline', values: { seconds: ssh } } : {}),
      },
      {
        key: 'dead-agent.stormtower',
        scenario: SCENARIO,
        label: 'stormtower: frozen agent -> removed event',
        result: `${typeof bolt === 'string' ? bolt : seconds(bolt)} (beacon interval ${beacon.interval} s, validity ${beacon.validity} s)`,
        ...(typeof bolt === 'number' && typeof ssh === 'number' ? { ratio: `${ratio(bolt / ssh)} ssh` } : {}),
        ...(typeof bolt === 'number' ? { values: { seconds: bolt } } : {}),
      },
    ];
    return {
      rows,
      notes: [
        "Both the agent and the ssh client are frozen with SIGSTOP at the same instant; their TCP connections stay open, so only the heartbeat can tell. stormtower: time to the `removed` event on /minions/events; OpenSSH: time until sshd closes the tunnel's listening port (read from /proc/net/tcp).",
        `Equivalent settings = the same documented deadline: the bolt expires after ${beacon.validity} s of silence (beacon validity); sshd_config(5) gives ClientAliveInterval x ClientAliveCountMax (its own example: 15 x 3, "approximately 45 seconds"), here ${alive.interval} x ${alive.countMax}. The client's ServerAliveInterval/CountMax are set alike, though a frozen client never acts on them.` +
          (ctx.quick
            ? ' (Quick mode: short settings on both sides.)'
            : " 10 s / 45 s are stormtower's defaults."),
        'OpenSSH 9.2 (Debian 12) was seen to drop a frozen client only after about 2 x ClientAliveInterval x (ClientAliveCountMax + 1), roughly twice its documented deadline.',
      ],
      raw: { bolt, ssh, beacon, alive },
    };
  } finally {
    for (const proc of procs.reverse()) await proc.stop();
  }
}
