import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeCodeFor, ErrorCode } from '../../src/bolt/protocol/frames.js';
import { agentArgs, assertBuilt, startCli, writeAgentFiles } from '../helpers/cli.js';
import { agent, announced, closeAll, collect, tempDir, tower } from '../helpers/harness.js';
import { testPki } from '../helpers/pki.js';

beforeAll(assertBuilt);
afterEach(closeAll);

describe('stormtower agent, refused for a conflict', () => {
  it('logs that another agent with the same certificate is connected, and waits --max-backoff', async () => {
    const dir = await tempDir('stormtower-cli-conflict-');
    const pki = await testPki();
    const identity = await pki.client('cli-twin');
    const files = await writeAgentFiles(dir, identity, pki.ca);
    const t = await tower({ beaconInterval: 1, beaconValidity: 5 });
    const holder = await agent(t.boltUrl, 'cli-twin', [1111], { identity });
    const held = await announced(t, 'cli-twin');
    const holderDrops = collect(holder, 'disconnected');

    const cli = startCli(
      agentArgs(
        t.boltUrl,
        files,
        [2222],
        ['--beacon-interval', '1', '--beacon-validity', '5', '--max-backoff', '2'],
      ),
    );
    const lost = await cli.waitForLog((line) => line.msg === 'bolt lost');
    expect(lost.code).toBe(closeCodeFor(ErrorCode.Conflict));
    const warning = await cli.waitForLog((line) => String(line.msg).includes('same certificate'));
    expect(warning).toMatchObject({
      level: 40,
      msg: 'refused: another agent with the same certificate is connected to this tower; waiting the longest backoff',
      retryInMs: 2000,
    });
    expect(t.table.get('cli-twin')).toBe(held);
    expect(holderDrops).toEqual([]);
    await cli.stop('SIGTERM');
  });
});
