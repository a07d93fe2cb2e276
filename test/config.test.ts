/**
 * Configuration loading: defaults, layer precedence, env coercion, and error messages that
 * name every bad value and where it came from. Also the agent schema and `--allow` parsing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigSchema } from '../src/config/agent-config.js';
import { ConfigError, loadConfig, parsePortList } from '../src/config/load-config.js';
import { towerConfigSchema } from '../src/config/tower-config.js';
import { createLogger, silentLogger } from '../src/log/logger.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stormtower-config-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a config file and returns its path. */
async function configFile(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** Runs `load` expecting a ConfigError and returns its problem lines. */
async function problemsOf(load: Promise<unknown>): Promise<readonly string[]> {
  const error = await load.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ConfigError);
  const configError = error as ConfigError;
  expect(configError.message).toBe(configError.problems.join('\n'));
  return configError.problems;
}

const AGENT = {
  towers: ['wss://tower.example:8443'],
  cert: 'agent.crt',
  key: 'agent.key',
  ca: 'ca.crt',
  allow: [5000],
};

describe('tower config', () => {
  it('has defaults for everything', async () => {
    const config = await loadConfig(towerConfigSchema, {});
    expect(config).toEqual({
      dataDir: './.stormtower',
      boltHost: '0.0.0.0',
      boltPort: 8443,
      apiHost: '127.0.0.1',
      apiPort: 8020,
      beaconInterval: 10,
      beaconValidity: 45,
      relayTimeout: 20,
      relayIdleTimeout: 60,
      trustProxy: [],
      corsOrigin: [],
      sessionLimit: 1000,
      sessionIdleTimeout: 28800,
      names: [],
      monitorInterval: 15000,
      statusPort: 5000,
      statusPath: '/status',
      statusBodyLimit: 1048576,
      pollConcurrency: 64,
      capabilityTimeout: 15,
      outputBacklogLimit: 4194304,
      tlsHandshakeTimeout: 10,
      upgradeTimeout: 10,
      handshakeLimit: 256,
      handshakeLimitPerAddress: 128,
      capabilityInterval: 1,
      onDuplicate: 'refuse',
      logLevel: 'info',
      metricsHost: '127.0.0.1',
      headerRelay: false,
      legacyMissingAfter: 60,
      legacySeenLimit: 10000,
      shutdownGrace: 5,
      drainTimeout: 30,
      redialSpread: 10,
      publicHealth: false,
      auditQuery: false,
      ui: true,
      feedBacklogLimit: 1048576,
      feedWriteShare: 0.25,
      heapGrowth: 40,
      feedDropGrace: 5,
      feedRetry: 3000,
      cluster: [],
      clusterPresenceTimeout: 15,
      clusterHost: '0.0.0.0',
      clusterPort: 9443,
    });
    expect(config.apiToken).toBeUndefined();
    expect(config.towerId).toBeUndefined();
    expect(config.inspect).toBeUndefined();
    expect(config.legacyPort).toBeUndefined();
    expect(config.metricsPort).toBeUndefined();
    expect(config.logFormat).toBeUndefined();
    expect(config.auditLog).toBeUndefined();
  });

  it('takes the metrics listener and log format from flags, and refuses an unknown format', async () => {
    const config = await loadConfig(towerConfigSchema, {
      flags: { metricsPort: '9464', metricsHost: '0.0.0.0', logFormat: 'pretty' },
    });
    expect(config).toMatchObject({ metricsPort: 9464, metricsHost: '0.0.0.0', logFormat: 'pretty' });
    await expect(loadConfig(towerConfigSchema, { flags: { logFormat: 'xml' } })).rejects.toThrow(
      '--log-format: expected one of json, pretty, got "xml"',
    );
  });

  it('takes the audit log from the environment or flags, and refuses an empty path', async () => {
    const fromEnv = await loadConfig(towerConfigSchema, {
      env: { STORMTOWER_AUDIT_LOG: '/var/log/stormtower/audit.log', STORMTOWER_AUDIT_QUERY: '1' },
    });
    expect(fromEnv).toMatchObject({ auditLog: '/var/log/stormtower/audit.log', auditQuery: true });
    const fromFlags = await loadConfig(towerConfigSchema, { flags: { auditLog: 'a.log', auditQuery: true } });
    expect(fromFlags).toMatchObject({ auditLog: 'a.log', auditQuery: true });
    await expect(loadConfig(towerConfigSchema, { flags: { auditLog: '' } })).rejects.toThrow(
      '--audit-log: must not be empty',
    );
  });

  it('layers file < env < flags', async () => {
    const file = await configFile('layers.json', {
      boltPort: 1,
      apiPort: 2,
      relayTimeout: 3,
      apiToken: 'file',
    });
    const config = await loadConfig(towerConfigSchema, {
      file,
      env: { STORMTOWER_API_PORT: '20', STORMTOWER_RELAY_TIMEOUT: '30', STORMTOWER_API_TOKEN: 'env' },
      flags: { relayTimeout: 300, apiToken: undefined, config: file },
    });
    expect(config.boltPort).toBe(1); // file only
    expect(config.apiPort).toBe(20); // env beats file
    expect(config.relayTimeout).toBe(300); // flag beats env
    expect(config.apiToken).toBe('env'); // an undefined flag is "not given"
    expect(config.beaconInterval).toBe(10); // default
  });

  it('accepts fractional seconds and port 0', async () => {
    const config = await loadConfig(towerConfigSchema, {
      flags: { beaconInterval: 0.05, beaconValidity: 0.2, boltPort: 0, apiPort: 0 },
    });
    expect(config).toMatchObject({ beaconInterval: 0.05, beaconValidity: 0.2, boltPort: 0, apiPort: 0 });
  });

  it('coerces env text to numbers, booleans and lists', async () => {
    const config = await loadConfig(towerConfigSchema, {
      env: {
        STORMTOWER_BOLT_PORT: '9443',
        STORMTOWER_BEACON_INTERVAL: '0.5',
        STORMTOWER_HEADER_RELAY: 'TRUE',
        STORMTOWER_NAMES: 'tower.example, 10.0.0.1,',
        STORMTOWER_INSPECT: '9229',
        STORMTOWER_LOG_LEVEL: 'debug',
        UNRELATED: 'x',
      },
    });
    expect(config).toMatchObject({
      boltPort: 9443,
      beaconInterval: 0.5,
      headerRelay: true,
      names: ['tower.example', '10.0.0.1'],
      inspect: 9229,
      logLevel: 'debug',
    });
    for (const [text, value] of [
      ['false', false],
      ['1', true],
      ['0', false],
    ] as const) {
      const c = await loadConfig(towerConfigSchema, { env: { STORMTOWER_HEADER_RELAY: text } });
      expect(c.headerRelay).toBe(value);
    }
  });

  it('honours a custom env prefix', async () => {
    const config = await loadConfig(towerConfigSchema, {
      env: { TEST_API_PORT: '1234', STORMTOWER_API_PORT: '9' },
      envPrefix: 'TEST',
    });
    expect(config.apiPort).toBe(1234);
  });

  it('coerces string flags as commander gives them', async () => {
    const config = await loadConfig(towerConfigSchema, {
      flags: { boltPort: '9000', headerRelay: 'true', names: 'a,b' },
    });
    expect(config).toMatchObject({ boltPort: 9000, headerRelay: true, names: ['a', 'b'] });
  });

  it('reads the relay idle timeout and the trusted proxies, and refuses what is not an address', async () => {
    const config = await loadConfig(towerConfigSchema, {
      env: { STORMTOWER_TRUST_PROXY: '10.0.0.1, ::1' },
      flags: { relayIdleTimeout: '0.5' },
    });
    expect(config).toMatchObject({ relayIdleTimeout: 0.5, trustProxy: ['10.0.0.1', '::1'] });
    const problems = await problemsOf(
      loadConfig(towerConfigSchema, {
        flags: { trustProxy: ['10.0.0.1', 'proxy.example'], relayIdleTimeout: 3_000_000 },
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^--relay-idle-timeout: expected at most 2147483 seconds/),
      expect.stringMatching(/^--trust-proxy\[1\]: expected an IPv4 or IPv6 address, got "proxy.example"$/),
    ]);
  });

  it('reads the cluster settings, and refuses a URL NATS cannot take or an id no key can hold', async () => {
    const config = await loadConfig(towerConfigSchema, {
      env: { STORMTOWER_CLUSTER: 'nats://u:p@10.0.0.1:4222, tls://nats.example:4222' },
      flags: {
        towerId: 'edge-1.eu',
        clusterPresenceTimeout: '5',
        clusterAdvertise: 'https://t1.example:9443',
      },
    });
    expect(config).toMatchObject({
      cluster: ['nats://u:p@10.0.0.1:4222', 'tls://nats.example:4222'],
      towerId: 'edge-1.eu',
      clusterPresenceTimeout: 5,
      clusterAdvertise: 'https://t1.example:9443',
    });
    const problems = await problemsOf(
      loadConfig(towerConfigSchema, {
        flags: { cluster: ['http://nats:4222'], towerId: 'tower one', clusterAdvertise: 'http://t1:9443' },
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^--cluster\[0\]: expected a nats:\/\/ or tls:\/\/ URL/),
      expect.stringMatching(/^--tower-id: expected 1-128 characters of A-Z a-z 0-9 \. _ -, got "tower one"$/),
      expect.stringMatching(/^--cluster-advertise: expected an https:\/\/ URL, got "http:\/\/t1:9443"$/),
    ]);
  });

  it('reports every bad value on its own line, naming its source', async () => {
    const file = await configFile('bad.json', { apiPort: 70000, statusPath: 'status', names: 'tower' });
    const problems = await problemsOf(
      loadConfig(towerConfigSchema, {
        file,
        env: { STORMTOWER_BEACON_INTERVAL: 'soon', STORMTOWER_HEADER_RELAY: 'yes', STORMTOWER_API_TOKEN: '' },
        flags: { boltPort: 'abc', logLevel: 'loud', pollConcurrency: 1.5, monitorInterval: -1 },
      }),
    );
    expect(problems).toEqual([
      `config file ${file}: apiPort: expected an integer from 0 to 65535, got 70000`,
      `config file ${file}: statusPath: must start with "/", got "status"`,
      `config file ${file}: names: expected a list of names, got "tower"`,
      'STORMTOWER_BEACON_INTERVAL: expected a number of seconds, got "soon"',
      'STORMTOWER_API_TOKEN: must not be empty, got ""',
      'STORMTOWER_HEADER_RELAY: expected true or false, got "yes"',
      '--bolt-port: expected an integer from 0 to 65535, got "abc"',
      '--monitor-interval: expected a whole number of milliseconds greater than 0, got -1',
      '--poll-concurrency: expected a whole number of requests greater than 0, got 1.5',
      '--log-level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ]);
  });

  it('keeps outputBacklogLimit at least twice the 1 MiB data high-water mark, for both sides', async () => {
    const expected = (got: string) => [
      `--output-backlog-limit: expected a whole number of bytes of at least 2097152 (twice the data high-water mark), got ${got}`,
    ];
    const tower = loadConfig(towerConfigSchema, { flags: { outputBacklogLimit: '1048576' } });
    expect(await problemsOf(tower)).toEqual(expected('1048576'));
    const agent = loadConfig(agentConfigSchema, { flags: { ...AGENT, outputBacklogLimit: '2500000.5' } });
    expect(await problemsOf(agent)).toEqual(expected('2500000.5'));
    const ok = await loadConfig(agentConfigSchema, { flags: { ...AGENT, outputBacklogLimit: '2097152' } });
    expect(ok.outputBacklogLimit).toBe(2097152);
  });

  it('turns the console off with --no-ui (commander gives ui: false) or STORMTOWER_UI=false', async () => {
    expect((await loadConfig(towerConfigSchema, { flags: { ui: false } })).ui).toBe(false);
    expect((await loadConfig(towerConfigSchema, { env: { STORMTOWER_UI: 'false' } })).ui).toBe(false);
    expect(
      (await loadConfig(towerConfigSchema, { env: { STORMTOWER_UI: 'false' }, flags: { ui: true } })).ui,
    ).toBe(true);
  });

  it('takes --capability-interval in seconds', async () => {
    const config = await loadConfig(towerConfigSchema, { flags: { capabilityInterval: '0.25' } });
    expect(config.capabilityInterval).toBe(0.25);
    const problems = await problemsOf(loadConfig(towerConfigSchema, { flags: { capabilityInterval: '0' } }));
    expect(problems).toEqual(['--capability-interval: expected a number of seconds greater than 0, got 0']);
  });

  it('takes --heap-growth as a whole percentage, 0 leaving it to V8', async () => {
    expect((await loadConfig(towerConfigSchema, { flags: { heapGrowth: '0' } })).heapGrowth).toBe(0);
    expect((await loadConfig(towerConfigSchema, { env: { STORMTOWER_HEAP_GROWTH: '25' } })).heapGrowth).toBe(
      25,
    );
    const problems = await problemsOf(loadConfig(towerConfigSchema, { flags: { heapGrowth: '12.5' } }));
    expect(problems).toEqual(['--heap-growth: expected a whole percentage from 0 to 400, got 12.5']);
  });

  it('takes --on-duplicate refuse or replace', async () => {
    const config = await loadConfig(towerConfigSchema, { env: { STORMTOWER_ON_DUPLICATE: 'replace' } });
    expect(config.onDuplicate).toBe('replace');
    const problems = await problemsOf(loadConfig(towerConfigSchema, { flags: { onDuplicate: 'newest' } }));
    expect(problems).toEqual(['--on-duplicate: expected one of refuse, replace, got "newest"']);
  });

  it('reports a bad value even when a later layer overrides it', async () => {
    const problems = await problemsOf(
      loadConfig(towerConfigSchema, { env: { STORMTOWER_BOLT_PORT: 'x' }, flags: { boltPort: 9000 } }),
    );
    expect(problems).toEqual(['STORMTOWER_BOLT_PORT: expected an integer from 0 to 65535, got "x"']);
  });

  it('names the bad item inside a list', async () => {
    const file = await configFile('names.json', { names: ['ok', ''] });
    const problems = await problemsOf(loadConfig(towerConfigSchema, { file }));
    expect(problems).toEqual([`config file ${file}: names[1]: must not be empty, got ""`]);
  });

  describe('beaconValidity must exceed beaconInterval', () => {
    it('from the file', async () => {
      const file = await configFile('beacon.json', { beaconInterval: 10, beaconValidity: 5 });
      const problems = await problemsOf(loadConfig(towerConfigSchema, { file }));
      expect(problems).toEqual([
        `config file ${file}: beaconValidity: must be greater than beaconInterval (10), got 5`,
      ]);
    });

    it('when equal, from env', async () => {
      const problems = await problemsOf(
        loadConfig(towerConfigSchema, { env: { STORMTOWER_BEACON_VALIDITY: '10' } }),
      );
      expect(problems).toEqual([
        'STORMTOWER_BEACON_VALIDITY: must be greater than beaconInterval (10), got 10',
      ]);
    });

    it('even when a lower layer also had a bad value for the key', async () => {
      const problems = await problemsOf(
        loadConfig(towerConfigSchema, {
          env: { STORMTOWER_BEACON_VALIDITY: 'x' },
          flags: { beaconValidity: 5 },
        }),
      );
      expect(problems).toEqual([
        'STORMTOWER_BEACON_VALIDITY: expected a number of seconds, got "x"',
        '--beacon-validity: must be greater than beaconInterval (10), got 5',
      ]);
    });

    it('against a default', async () => {
      const problems = await problemsOf(loadConfig(towerConfigSchema, { flags: { beaconInterval: 60 } }));
      expect(problems).toEqual([
        'beaconValidity (default): must be greater than beaconInterval (60), got 45',
      ]);
    });
  });

  it('rejects unknown keys in the file, naming them', async () => {
    const file = await configFile('unknown.json', { bolt_port: 1, colour: 'blue', apiPort: 1 });
    const problems = await problemsOf(loadConfig(towerConfigSchema, { file }));
    expect(problems).toEqual([
      `config file ${file}: unknown key "bolt_port" (did you mean "boltPort"?)`,
      `config file ${file}: unknown key "colour"`,
    ]);
  });

  it('reports a missing config file with its path', async () => {
    const file = join(dir, 'nope.json');
    const problems = await problemsOf(loadConfig(towerConfigSchema, { file }));
    expect(problems).toEqual([`config file ${file}: cannot read it: file not found`]);
  });

  it('reports a config file that is not JSON, along with other problems', async () => {
    const file = await configFile('broken.json', '{ "boltPort": 1,');
    const problems = await problemsOf(loadConfig(towerConfigSchema, { file, flags: { apiPort: -1 } }));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(new RegExp(`^config file ${file}: not valid JSON: `));
    expect(problems[1]).toBe('--api-port: expected an integer from 0 to 65535, got -1');
  });

  it('requires the file to hold an object', async () => {
    const file = await configFile('array.json', [1, 2]);
    const problems = await problemsOf(loadConfig(towerConfigSchema, { file }));
    expect(problems).toEqual([`config file ${file}: expected a JSON object of settings`]);
  });
});

describe('agent config', () => {
  it('loads with defaults and env lists', async () => {
    const config = await loadConfig(agentConfigSchema, {
      env: {
        STORMTOWER_TOWERS: 'wss://a.example:8443,wss://[::1]:9443/bolt',
        STORMTOWER_ALLOW: '5000, 8000',
      },
      flags: { cert: 'c', key: 'k', ca: 'ca' },
    });
    expect(config).toEqual({
      towers: ['wss://a.example:8443', 'wss://[::1]:9443/bolt'],
      cert: 'c',
      key: 'k',
      ca: 'ca',
      allow: [5000, 8000],
      beaconInterval: 10,
      beaconValidity: 45,
      maxBackoff: 30,
      outputBacklogLimit: 4194304,
      shutdownGrace: 5,
      logLevel: 'info',
    });
  });

  it('names missing required settings', async () => {
    const problems = await problemsOf(loadConfig(agentConfigSchema, { flags: { cert: 'c', key: 'k' } }));
    expect(problems).toEqual([
      'towers: required (give --towers, STORMTOWER_TOWERS or "towers" in the config file)',
      'ca: required (give --ca, STORMTOWER_CA or "ca" in the config file)',
      'allow: required (give --allow, STORMTOWER_ALLOW or "allow" in the config file)',
    ]);
  });

  it('accepts only wss:// URLs with a host and port', async () => {
    const problems = await problemsOf(
      loadConfig(agentConfigSchema, {
        flags: {
          ...AGENT,
          towers: [
            'ws://tower.example:8443',
            'https://tower.example:8443',
            'wss://tower.example',
            'wss://tower.example:443',
            'not a url',
            'wss://user:pw@tower.example:8443',
          ],
        },
      }),
    );
    expect(problems).toEqual([
      '--towers[0]: expected a wss://host:port[/path] URL (bolts are always TLS), not ws://, got "ws://tower.example:8443"',
      '--towers[1]: expected a wss://host:port[/path] URL (bolts are always TLS), not https://, got "https://tower.example:8443"',
      '--towers[2]: expected a wss://host:port[/path] URL: missing port, got "wss://tower.example"',
      '--towers[4]: expected a wss://host:port[/path] URL, got "not a url"',
      '--towers[5]: expected a wss://host:port[/path] URL: credentials do not belong in it, got "wss://user:pw@tower.example:8443"',
    ]);
  });

  it('needs at least one tower and one allowed port, each port once and in range', async () => {
    const problems = await problemsOf(
      loadConfig(agentConfigSchema, {
        flags: { ...AGENT, towers: [] },
        env: { STORMTOWER_ALLOW: '5000,0,65536,abc,5000' },
      }),
    );
    expect(problems).toEqual([
      'STORMTOWER_ALLOW[1]: expected a port from 1 to 65535, got 0',
      'STORMTOWER_ALLOW[2]: expected a port from 1 to 65535, got 65536',
      'STORMTOWER_ALLOW[3]: expected a port from 1 to 65535, got "abc"',
      '--towers: must list at least one tower URL',
    ]);
    const empty = await problemsOf(loadConfig(agentConfigSchema, { flags: { ...AGENT, allow: [] } }));
    expect(empty).toEqual(['--allow: must list at least one port']);
    const dupes = await problemsOf(
      loadConfig(agentConfigSchema, { flags: { ...AGENT, allow: [5000, 8000, 5000] } }),
    );
    expect(dupes).toEqual(['--allow: port 5000 is listed more than once']);
  });

  it('checks beacon timing too', async () => {
    const problems = await problemsOf(
      loadConfig(agentConfigSchema, { flags: { ...AGENT, beaconInterval: 5, beaconValidity: 1 } }),
    );
    expect(problems).toEqual(['--beacon-validity: must be greater than beaconInterval (5), got 1']);
  });

  it('takes the address relayed requests go to, absent by default', async () => {
    const config = await loadConfig(agentConfigSchema, { flags: { ...AGENT, localHost: '127.0.0.2' } });
    expect(config.localHost).toBe('127.0.0.2');
    const problems = await problemsOf(loadConfig(agentConfigSchema, { flags: { ...AGENT, localHost: '' } }));
    expect(problems).toEqual(['--local-host: must not be empty, got ""']);
  });
});

describe('parsePortList', () => {
  it('parses a comma-separated list', () => {
    expect(parsePortList('5000,8000')).toEqual([5000, 8000]);
    expect(parsePortList(' 22 , 65535, ')).toEqual([22, 65535]);
  });

  it('reports every bad item', () => {
    const error = (() => {
      try {
        parsePortList('5000,0,65536,abc,5000,-1,1.5');
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'port 0 is out of range (1-65535)',
      'port 65536 is out of range (1-65535)',
      '"abc" is not a port number',
      'port 5000 is listed more than once',
      '"-1" is not a port number',
      '"1.5" is not a port number',
    ]);
  });

  it('rejects an empty list', () => {
    expect(() => parsePortList('')).toThrow(ConfigError);
    expect(() => parsePortList(' , ')).toThrow(/expected a comma-separated list of ports/);
  });
});

describe('logger', () => {
  it('writes JSON lines with the name and honours the level', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ level: 'warn', name: 'test', destination });
    log.info('hidden');
    log.warn({ port: 1 }, 'shown');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 40, name: 'test', port: 1, msg: 'shown' });
    expect(createLogger().level).toBe('info');
    expect(silentLogger().level).toBe('silent');
  });
});
