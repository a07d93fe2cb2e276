/**
 * How long the simulator spends issuing one agent certificate on this machine. It issues each one
 * right before that agent dials, so at 10,000 agents this alone is a floor under the cold start;
 * the notes print it so the fleet's ready times can be read for what they include.
 */
import { issueClientCertificate } from '../../src/certs/authority.js';
import { loadDataDirAuthority } from '../../src/certs/store.js';
import { monotonicMs } from '../procs/clock.js';

export async function issueRate(dataDir: string, count = 30): Promise<number> {
  const authority = await loadDataDirAuthority(dataDir);
  // A few first, unmeasured: the simulator issues thousands, so its steady pace is what matters.
  for (let i = 0; i < 5; i++) await issueClientCertificate(authority, `warm-up-${i}`);
  const began = monotonicMs();
  for (let i = 0; i < count; i++) await issueClientCertificate(authority, `calibrate-${i}`);
  return (monotonicMs() - began) / count;
}
