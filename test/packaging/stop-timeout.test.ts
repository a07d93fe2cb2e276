/**
 * The service manager must not kill a draining tower: the unit's TimeoutStopSec has to exceed the
 * default --drain-timeout plus --shutdown-grace, or a default install cuts relays the drain promised
 * to finish.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { towerConfigSchema } from '../../src/config/tower-config.js';

describe('deploy/stormtower.service', () => {
  it('waits longer than the default drain and stop take', async () => {
    const unit = await readFile(new URL('../../deploy/stormtower.service', import.meta.url), 'utf8');
    const stopSec = Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)?.[1]);
    const { drainTimeout, shutdownGrace } = towerConfigSchema.parse({});
    expect(stopSec).toBeGreaterThan(drainTimeout + shutdownGrace);
  });
});
