/**
 * The world the chaos phases act on: one tower on fixed loopback ports and data directory (so it
 * can be killed and started again in the same place), and agents that each dial the tower through
 * their own fault proxy and front their own local service. Short beacon settings let a dead peer
 * show within seconds.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { agentArgs } from '../helpers/cli.js';
import { freePort, onCloseAll, tempDir } from '../helpers/harness.js';
import { testPki, writePki } from '../helpers/pki.js';
import { FaultProxy } from './fault-proxy.js';
import { ChaosProcess } from './processes.js';
import { startUpstreams, type Upstream, type Upstreams } from './upstreams.js';

export const TIMING = {
  beaconInterval: 1,
  beaconValidity: 3,
  relayTimeout: 5,
  monitorIntervalMs: 250,
  /** Cap on an agent's reconnect delay, in seconds. */
  maxBackoff: 1,
} as const;

export interface AgentSlot {
  readonly cname: string;
  readonly upstream: Upstream;
  readonly proxy: FaultProxy;
  proc: ChaosProcess;
}

/** An agent's certificate and key from the test CA, written where `certs issue --out` puts them. */
async function writeAgentFiles(dataDir: string, cname: string): Promise<void> {
  const { cert, key } = await (await testPki()).client(cname);
  await writeFile(join(dataDir, 'agents', `${cname}.crt`), cert);
  await writeFile(join(dataDir, 'agents', `${cname}.key`), key, { mode: 0o600 });
}

export class Fleet {
  readonly agents: AgentSlot[] = [];

  private constructor(
    readonly dataDir: string,
    readonly apiPort: number,
    readonly boltPort: number,
    readonly upstreams: Upstreams,
    public tower: ChaosProcess,
  ) {}

  static async start(count: number): Promise<Fleet> {
    // Certificates from the test CA (made once per test file), where the tower keeps its own.
    const dataDir = await tempDir('stormtower-chaos-');
    await writePki(dataDir);
    const cnames = Array.from({ length: count }, (_, i) => `chaos-${String.fromCharCode(97 + i)}`);
    await mkdir(join(dataDir, 'agents'));
    await copyFile(join(dataDir, 'ca.crt'), join(dataDir, 'agents', 'ca.crt'));
    for (const cname of cnames) await writeAgentFiles(dataDir, cname);
    const upstreams = await startUpstreams(cnames);
    const ports = { api: await freePort(), bolt: await freePort() };
    const tower = await startTower(dataDir, ports, upstreams.port);
    const fleet = new Fleet(dataDir, ports.api, ports.bolt, upstreams, tower);
    for (const upstream of upstreams.all) {
      const proxy = await FaultProxy.start({ targetPort: ports.bolt });
      onCloseAll(() => proxy.close());
      const slot = { cname: upstream.cname, upstream, proxy };
      fleet.agents.push({ ...slot, proc: fleet.startAgent(slot) });
    }
    return fleet;
  }

  /** A certificate for `cname` from the tower's CA; the paths of its PEM files. */
  async issue(cname: string): Promise<{ ca: string; cert: string; key: string }> {
    await writeAgentFiles(this.dataDir, cname);
    return this.certFiles(cname);
  }

  certFiles(cname: string): { ca: string; cert: string; key: string } {
    const dir = join(this.dataDir, 'agents');
    return { ca: join(dir, 'ca.crt'), cert: join(dir, `${cname}.crt`), key: join(dir, `${cname}.key`) };
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  /** Every process of the fleet now, the tower first. */
  processes(): ChaosProcess[] {
    return [this.tower, ...this.agents.map((slot) => slot.proc)];
  }

  /** Starts the tower again on the same ports and data directory, and waits until it is ready. */
  async restartTower(): Promise<void> {
    this.tower = await startTower(
      this.dataDir,
      { api: this.apiPort, bolt: this.boltPort },
      this.upstreams.port,
    );
  }

  /** Starts `slot`'s agent, dialling the tower through the slot's fault proxy unless told otherwise. */
  startAgent(
    slot: Pick<AgentSlot, 'cname' | 'upstream' | 'proxy'>,
    towerUrl = `wss://127.0.0.1:${slot.proxy.port}`,
  ): ChaosProcess {
    const files = this.certFiles(slot.cname);
    return ChaosProcess.start(
      slot.cname,
      agentArgs(
        towerUrl,
        files,
        [this.upstreams.port],
        [
          '--local-host',
          slot.upstream.host,
          '--beacon-interval',
          String(TIMING.beaconInterval),
          '--beacon-validity',
          String(TIMING.beaconValidity),
          '--max-backoff',
          String(TIMING.maxBackoff),
        ],
      ),
    );
  }
}

/** `stormtower start` on `ports` with the chaos timings; resolves once it logs that it is ready. */
async function startTower(
  dataDir: string,
  ports: { api: number; bolt: number },
  statusPort: number,
): Promise<ChaosProcess> {
  const tower = ChaosProcess.start('tower', [
    'start',
    '--data-dir',
    dataDir,
    '--bolt-host',
    '127.0.0.1',
    '--bolt-port',
    String(ports.bolt),
    '--api-port',
    String(ports.api),
    '--beacon-interval',
    String(TIMING.beaconInterval),
    '--beacon-validity',
    String(TIMING.beaconValidity),
    '--relay-timeout',
    String(TIMING.relayTimeout),
    '--monitor-interval',
    String(TIMING.monitorIntervalMs),
    '--status-port',
    String(statusPort),
  ]);
  await tower.cli.waitForLog((line) => line.msg === 'tower ready', 30_000);
  return tower;
}
