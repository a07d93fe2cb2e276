/**
 * The browser settings as `stormtower start` reads them: `--cors-origin` takes exact origins only
 * (from flags, the environment or the config file), and the session and retry settings have their
 * documented defaults.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { towerConfigSchema } from '../../src/config/tower-config.js';
import { tempDir } from '../helpers/harness.js';

const problemsOf = async (sources: Parameters<typeof loadConfig>[1]): Promise<readonly string[]> => {
  try {
    await loadConfig(towerConfigSchema, sources);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('browser settings', () => {
  it('defaults to no origin, 1000 sessions idle 8 h, and a 3000 ms retry hint', async () => {
    const config = await loadConfig(towerConfigSchema, {});
    expect(config.corsOrigin).toEqual([]);
    expect(config.sessionLimit).toBe(1000);
    expect(config.sessionIdleTimeout).toBe(28_800);
    expect(config.feedRetry).toBe(3000);
  });

  it('takes origins from repeated flags, a comma list in the environment, or a config file list', async () => {
    const origins = ['https://a.example:8443', 'http://localhost:3000'];
    expect((await loadConfig(towerConfigSchema, { flags: { corsOrigin: origins } })).corsOrigin).toEqual(
      origins,
    );
    const env = { STORMTOWER_CORS_ORIGIN: origins.join(',') };
    expect((await loadConfig(towerConfigSchema, { env })).corsOrigin).toEqual(origins);
    const file = join(await tempDir('browser-settings-'), 'tower.json');
    await writeFile(file, JSON.stringify({ corsOrigin: origins, sessionLimit: 5, feedRetry: 1500 }));
    const config = await loadConfig(towerConfigSchema, { file });
    expect(config).toMatchObject({ corsOrigin: origins, sessionLimit: 5, feedRetry: 1500 });
  });

  it('refuses anything that is not exactly an origin, naming each', async () => {
    const bad = ['https://a.example/', 'https://a.example/path', 'a.example', 'ftp://a.example', '*', 'null'];
    const problems = await problemsOf({ flags: { corsOrigin: bad } });
    expect(problems).toHaveLength(bad.length);
    for (const [i, value] of bad.entries()) {
      expect(problems[i]).toContain(`--cors-origin[${i}]`);
      expect(problems[i]).toContain(JSON.stringify(value));
    }
    expect(await problemsOf({ flags: { sessionLimit: 0 } })).toHaveLength(1);
    expect(await problemsOf({ flags: { feedRetry: -1 } })).toHaveLength(1);
  });
});
