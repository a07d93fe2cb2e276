/**
 * The version in stormtower's package.json, found by walking up from this file: the same code runs
 * from src/cli (tsx, tests) and from dist/src/cli (the installed bin), at different depths.
 */
import { readFileSync } from 'node:fs';

export function packageVersion(from: URL = new URL('.', import.meta.url)): string {
  for (let dir = from; ; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'stormtower' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No package.json here (or not ours): keep walking up.
    }
    if (dir.pathname === '/') throw new Error('stormtower package.json not found above the cli');
  }
}
