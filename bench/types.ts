/**
 * The shape of results: every scenario returns rows for the one printed table, free-text notes for
 * BENCHMARKS.md, and raw numbers for the JSON file.
 */

export const SCENARIOS = [
  'relay-small',
  'relay-bulk',
  'change-feed',
  'dead-agent',
  'attacks',
  'fleet',
  'cluster',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Goal {
  /** What is required, e.g. ">= 2.0x ssh -R". */
  readonly text: string;
  /** Undefined when it could not be judged (a peer was skipped). */
  readonly met: boolean | undefined;
}

export interface Row {
  /** Stable id, e.g. `relay-small.get.stormtower`: the report check looks rows up by it. */
  readonly key: string;
  readonly scenario: string;
  readonly label: string;
  /** Human-readable result, or `skipped: <reason>`. */
  readonly result: string;
  /** The ratio to this scenario's baseline, e.g. "0.21x direct". */
  readonly ratio?: string;
  readonly goal?: Goal;
  readonly values?: Readonly<Record<string, number | string | boolean | null>>;
}

export interface ScenarioReport {
  readonly name: ScenarioName;
  readonly title: string;
  readonly rows: readonly Row[];
  readonly notes: readonly string[];
  /** 1-minute load average when the scenario began: a busy shared machine shows here. */
  readonly loadBefore: number;
  readonly seconds: number;
  /** Configuration files the peers ran with (nginx.conf, sshd_config), for BENCHMARKS.md. */
  readonly configs?: Readonly<Record<string, string>>;
}

export const skippedRow = (key: string, scenario: string, label: string, reason: string): Row => ({
  key,
  scenario,
  label,
  result: `skipped: ${reason}`,
});
