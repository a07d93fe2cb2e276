/**
 * One simulated stormflash agent's state: a status document shaped like a real agent's `/status`
 * (its own id, instance and hostname, an `os` whose uptime moves on every poll), and packages that
 * come and go so checksums change the way they do in a real fleet.
 */
import { randomUUID } from 'node:crypto';

const CATALOG = [
  'openvpn-storm',
  'strongswan-storm',
  'dnsmasq-storm',
  'uproxy-storm',
  'stormlight',
  'nginx-storm',
];

interface Package {
  readonly name: string;
  readonly version: string;
  readonly source: string;
  readonly type: string;
  readonly status: { readonly installed: boolean; readonly imported?: boolean };
  readonly id: string;
}

export class SimulatedMinion {
  readonly instance = randomUUID();
  readonly hostname: string;
  private readonly bootedAt = Date.now();
  private packages: Package[] = [builtin('stormflash'), builtin('stormbolt')];

  constructor(
    readonly id: string,
    private readonly random: () => number = Math.random,
  ) {
    // The tail, not the head: fleet cnames share a prefix and differ in their trailing number, so
    // the head of a long prefix (`edge-datacenter-0001`...) would give every minion one hostname.
    this.hostname = `sim-${id.slice(-12)}`;
  }

  /** Installs or removes one package at random: a change the tower must see in the checksum. */
  mutate(): void {
    const installed = new Set(this.packages.map((p) => p.name));
    const candidates = CATALOG.filter((name) => !installed.has(name));
    const removable = this.packages.filter((p) => p.source !== 'builtin');
    if (candidates.length > 0 && (removable.length === 0 || this.random() < 0.6)) {
      const name = candidates[Math.floor(this.random() * candidates.length)] ?? 'openvpn-storm';
      this.packages = [
        ...this.packages,
        { ...builtin(name), source: 'npm://', status: { installed: true, imported: true } },
      ];
    } else if (removable.length > 0) {
      const victim = removable[Math.floor(this.random() * removable.length)];
      this.packages = this.packages.filter((p) => p !== victim);
    }
  }

  /** The `/status` document, as a stormflash 1.3.x agent would answer it. */
  status(): Record<string, unknown> {
    const uptime = (Date.now() - this.bootedAt) / 1000;
    return {
      id: this.id,
      instance: this.instance,
      activated: true,
      running: true,
      env: { provider: 'simulator' },
      haveCredentials: true,
      config: { repeatInterval: 25000, insecure: false, allowRelay: false, port: 5000 },
      os: {
        hostname: this.hostname,
        type: 'Linux',
        platform: 'linux',
        arch: 'x64',
        uptime,
        loadavg: [0.1 + this.random() / 10, 0.1, 0.05],
        totalmem: 1_040_609_280,
        freemem: 600_000_000 + Math.floor(this.random() * 1_000_000),
      },
      uplink: null,
      clients: [],
      packages: this.packages,
      services: [],
      instances: [],
    };
  }
}

function builtin(name: string): Package {
  return {
    name,
    version: '*',
    source: 'builtin',
    type: 'npm',
    status: { installed: true },
    id: randomUUID(),
  };
}
