/**
 * Settings of `stormtower simulate`: how many agents, which towers, and how lively they are.
 */
import { z } from 'zod';
import { CNAME_ALPHABET } from '../certs/cname.js';
import { towerUrl } from './agent-config.js';
import { checkBeaconTiming, logFormat, logLevel, positiveInt, seconds } from './tower-config.js';

export const simulateConfigSchema = z
  .object({
    count: positiveInt('agents').max(100_000, { error: 'at most 100000 agents in one process' }),
    towers: z
      .array(towerUrl, { error: 'expected a list of wss:// URLs' })
      .min(1, { error: 'must list at least one tower URL' }),
    dataDir: z.string().min(1, { error: 'must not be empty' }).default('./.stormtower'),
    prefix: z
      .string()
      .regex(new RegExp(`^[${CNAME_ALPHABET}]{1,100}$`), {
        error: 'expected 1-100 characters of A-Z a-z 0-9 . _ : -',
      })
      .default('sim'),
    /** Mean seconds between package changes on one agent; 0 turns changes off. */
    changeEvery: z.number({ error: 'expected a number of seconds' }).min(0).default(30),
    statusPort: positiveInt('port').max(65535).default(5000),
    beaconInterval: seconds().default(10),
    beaconValidity: seconds().default(45),
    connectConcurrency: positiveInt('handshakes').default(64),
    logLevel: logLevel(),
    logFormat: logFormat(),
  })
  .superRefine(checkBeaconTiming);

export type SimulateConfig = z.output<typeof simulateConfigSchema>;
