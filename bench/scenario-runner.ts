/**
 * Runs one scenario into its report, on a shared machine: if a process the scenario started is
 * stopped from outside (another user's cleanup, the OOM killer), the numbers are not to be trusted,
 * so the scenario is run once more; if it happens again, the report says so next to the results.
 */

import {
  describeInterruption,
  type Interruption,
  interruptedSinceWatch,
  watchFromNow,
} from './procs/interruptions.js';
import { loadAverage } from './procs/proc-stats.js';
import { stopAll } from './procs/spawn.js';
import type { ScenarioOutput } from './scenarios/relay-small.js';
import type { Row, ScenarioName, ScenarioReport } from './types.js';

export type Runner = () => Promise<ScenarioOutput & { configs?: Record<string, string> }>;

export interface RunnerOptions {
  readonly log: (line: string) => void;
  /** Undo shared state before a second attempt (the relay contenders). */
  readonly reset: () => Promise<void>;
  /** Whether there is time left for a second attempt. */
  readonly canRetry: () => boolean;
}

export interface Ran {
  readonly report: ScenarioReport;
  readonly raw: unknown;
  readonly failed: boolean;
}

const errorRow = (name: ScenarioName, title: string, message: string): Row => ({
  key: `${name}.error`,
  scenario: title,
  label: 'the scenario',
  result: `failed: ${message.split('\n')[0]}`,
});

export async function runScenario(
  name: ScenarioName,
  title: string,
  runner: Runner,
  options: RunnerOptions,
): Promise<Ran> {
  const loadBefore = loadAverage();
  const started = Date.now();
  const notes: string[] = [];
  for (let attempt = 1; ; attempt++) {
    options.log(
      `${name}: starting (load average ${loadBefore.toFixed(2)})${attempt > 1 ? `, attempt ${attempt}` : ''}`,
    );
    watchFromNow();
    let output: Awaited<ReturnType<Runner>> | undefined;
    let error: unknown;
    try {
      output = await runner();
    } catch (caught) {
      error = caught;
    }
    const interrupted: readonly Interruption[] = interruptedSinceWatch();
    if (interrupted.length > 0) {
      const what = interrupted.map(describeInterruption).join('; ');
      options.log(`${name}: INTERRUPTED from outside the suite: ${what}`);
      notes.push(`Attempt ${attempt} was interrupted from outside the suite: ${what}.`);
      await options.reset();
      await stopAll();
      if (attempt === 1 && options.canRetry()) continue;
    }
    const seconds = (Date.now() - started) / 1000;
    if (output === undefined) {
      const message = error instanceof Error ? error.message : String(error);
      options.log(`${name}: FAILED: ${message}`);
      return {
        report: { name, title, rows: [errorRow(name, title, message)], notes, loadBefore, seconds },
        raw: undefined,
        failed: true,
      };
    }
    if (interrupted.length > 0)
      notes.push('The results above come from that interrupted attempt: read them with care.');
    return {
      report: {
        name,
        title,
        rows: output.rows,
        notes: [...output.notes, ...notes],
        loadBefore,
        seconds,
        ...(output.configs ? { configs: output.configs } : {}),
      },
      raw: output.raw,
      failed: false,
    };
  }
}
