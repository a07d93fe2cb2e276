/**
 * Layered configuration loading for any object schema: schema defaults < JSON config file
 * < STORMTOWER_* environment variables < command-line flags. Every bad value is reported
 * at once, each on its own line, naming where it came from, so one run shows all fixes.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { isPlainObject } from '../json/plain-object.js';

/** Thrown for any unusable configuration; `problems` holds one line per bad value. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface ConfigSources {
  /** Path of a JSON config file (`--config`); omitted means none. */
  file?: string;
  /** Environment to read (usually `process.env`); omitted means the environment is not used. */
  env?: NodeJS.ProcessEnv;
  /** Parsed flags keyed by camelCase schema key; `undefined` values and unknown keys are ignored. */
  flags?: Record<string, unknown>;
  /** Variable name prefix; default `STORMTOWER_`. */
  envPrefix?: string;
}

type Origin =
  | { kind: 'file'; path: string }
  | { kind: 'env'; name: string }
  | { kind: 'flag'; name: string }
  | { kind: 'default' };

/** One value given for one key, and where it came from. */
interface Given {
  key: string;
  value: unknown;
  origin: Origin;
}

type Shape = Record<string, z.core.$ZodType>;

export async function loadConfig<S extends z.ZodType>(
  schema: S,
  sources: ConfigSources = {},
): Promise<z.output<S>> {
  const shape = objectShape(schema);
  const prefix = normalizePrefix(sources.envPrefix);
  const problems: string[] = [];
  const given: Given[] = [];
  if (sources.file !== undefined) given.push(...(await fileValues(sources.file, shape, problems)));
  if (sources.env !== undefined) given.push(...envValues(sources.env, prefix, shape));
  if (sources.flags !== undefined) given.push(...flagValues(sources.flags, shape));

  // Check each given value on its own so a bad value is reported even when a later
  // layer overrides it: a broken config file should not lie in wait.
  const winners = new Map<string, Given>();
  const failed = new Set<Given>();
  for (const g of given) {
    const field = shape[g.key];
    const result = field === undefined ? undefined : z.safeParse(field, g.value);
    if (result !== undefined && !result.success) {
      failed.add(g);
      for (const issue of result.error.issues) {
        problems.push(describe(prefix, { key: g.key, rest: issue.path, message: issue.message, given: g }));
      }
    }
    winners.set(g.key, g);
  }

  // Then the whole: defaults, required keys and cross-field rules.
  const merged = Object.fromEntries([...winners].map(([key, g]) => [key, g.value]));
  const result = schema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const [key, ...rest] = issue.path;
      if (typeof key !== 'string') {
        problems.push(`configuration: ${issue.message}`);
        continue;
      }
      const winner = winners.get(key);
      if (winner !== undefined && failed.has(winner)) continue; // reported above
      const fallback = defaultOf(shape[key]);
      problems.push(describe(prefix, { key, rest, message: issue.message, given: winner, fallback }));
    }
  }
  if (problems.length > 0 || !result.success) {
    throw new ConfigError(problems.length > 0 ? problems : ['configuration: invalid']);
  }
  return result.data;
}

/**
 * Parses a comma-separated port list such as `5000,8000` (for `--allow`), reporting every
 * bad item: not a number, outside 1-65535, or repeated.
 */
export function parsePortList(s: string): number[] {
  const items = s.split(',').map((item) => item.trim());
  if (items.every((item) => item === '')) {
    throw new ConfigError([
      `expected a comma-separated list of ports (e.g. 5000,8000), got ${JSON.stringify(s)}`,
    ]);
  }
  const problems: string[] = [];
  const ports: number[] = [];
  for (const item of items) {
    if (item === '') continue; // tolerate "5000,8000," and "5000,,8000"
    const port = /^\d+$/.test(item) ? Number(item) : Number.NaN;
    if (Number.isNaN(port)) problems.push(`${JSON.stringify(item)} is not a port number`);
    else if (port < 1 || port > 65535) problems.push(`port ${item} is out of range (1-65535)`);
    else if (ports.includes(port)) problems.push(`port ${port} is listed more than once`);
    else ports.push(port);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return ports;
}

/** The value a field takes when nothing gives one (its default), if any. */
function defaultOf(field: z.core.$ZodType | undefined): unknown {
  const result = field === undefined ? undefined : z.safeParse(field, undefined);
  return result?.success ? result.data : undefined;
}

function objectShape(schema: z.core.$ZodType): Shape {
  if (schema instanceof z.ZodObject) return schema.shape;
  if (schema instanceof z.ZodPipe) return objectShape(schema.in);
  throw new TypeError('loadConfig needs an object schema');
}

// ---- the layers ----

const READ_FAILURES: Record<string, string> = {
  ENOENT: 'file not found',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, not a file',
};

async function fileValues(path: string, shape: Shape, problems: string[]): Promise<Given[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    problems.push(`config file ${path}: cannot read it: ${READ_FAILURES[code] ?? String(err)}`);
    return [];
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    problems.push(`config file ${path}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    return [];
  }
  if (!isPlainObject(data)) {
    problems.push(`config file ${path}: expected a JSON object of settings`);
    return [];
  }
  const values: Given[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (Object.hasOwn(shape, key)) {
      values.push({ key, value, origin: { kind: 'file', path } });
    } else {
      const guess = Object.keys(shape).find((known) => loose(known) === loose(key));
      const hint = guess === undefined ? '' : ` (did you mean "${guess}"?)`;
      problems.push(`config file ${path}: unknown key ${JSON.stringify(key)}${hint}`);
    }
  }
  return values;
}

function envValues(env: NodeJS.ProcessEnv, prefix: string, shape: Shape): Given[] {
  const values: Given[] = [];
  for (const [key, field] of Object.entries(shape)) {
    const name = prefix + upperSnake(key);
    const raw = env[name];
    if (raw !== undefined) {
      values.push({ key, value: coerce(raw, kindOf(field)), origin: { kind: 'env', name } });
    }
  }
  return values;
}

function flagValues(flags: Record<string, unknown>, shape: Shape): Given[] {
  const values: Given[] = [];
  // Schema order, like env, so problem lines come out in a stable order.
  for (const [key, field] of Object.entries(shape)) {
    const value = Object.hasOwn(flags, key) ? flags[key] : undefined;
    if (value === undefined) continue;
    // Flags may arrive as raw strings (commander without a parser): treat them like env text.
    const kind = kindOf(field);
    const parsed =
      typeof value === 'string' || (Array.isArray(value) && typeof kind === 'object')
        ? coerce(value, kind)
        : value;
    values.push({ key, value: parsed, origin: { kind: 'flag', name: `--${kebab(key)}` } });
  }
  return values;
}

// ---- turning text into typed values ----

type Kind = 'number' | 'boolean' | 'text' | { list: Kind };

/** What a field holds underneath its default/optional wrappers, to know how to read text. */
function kindOf(field: z.core.$ZodType): Kind {
  if (field instanceof z.ZodDefault || field instanceof z.ZodOptional || field instanceof z.ZodNullable) {
    return kindOf(field.unwrap());
  }
  if (field instanceof z.ZodPipe) return kindOf(field.in);
  if (field instanceof z.ZodArray) return { list: kindOf(field.element) };
  if (field instanceof z.ZodNumber) return 'number';
  if (field instanceof z.ZodBoolean) return 'boolean';
  return 'text';
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false };

/** Best-effort conversion; text that does not fit is left as is so validation reports it verbatim. */
function coerce(raw: unknown, kind: Kind): unknown {
  if (typeof kind === 'object') {
    const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : undefined;
    if (items === undefined) return raw;
    return items
      .map((item: unknown) => (typeof item === 'string' ? item.trim() : item))
      .filter((item) => item !== '')
      .map((item) => coerce(item, kind.list));
  }
  if (typeof raw !== 'string') return raw;
  const text = raw.trim();
  if (kind === 'number' && NUMBER.test(text)) return Number(text);
  if (kind === 'boolean') return BOOLEANS[text.toLowerCase()] ?? raw;
  return raw;
}

// ---- naming and messages ----

function upperSnake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function kebab(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** For "did you mean": compare names ignoring case, dashes and underscores. */
function loose(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

function normalizePrefix(prefix = 'STORMTOWER_'): string {
  return prefix === '' || prefix.endsWith('_') ? prefix : `${prefix}_`;
}

/** What is known about one problem, to phrase its line. */
interface Problem {
  key: string;
  /** Issue path inside the key's value, e.g. the index of a bad list item. */
  rest: readonly PropertyKey[];
  message: string;
  /** The value's source; absent when it is a default or missing. */
  given?: Given | undefined;
  /** The value checked when no source gave one (a default). */
  fallback?: unknown;
}

/** One problem line: `<where>: <what is expected>[, got <value>]`. */
function describe(prefix: string, { key, rest, message, given, fallback }: Problem): string {
  const inner = rest
    .map((p) => (typeof p === 'number' ? `[${p}]` : typeof p === 'string' ? `.${p}` : ''))
    .join('');
  const value = valueAt(given === undefined ? fallback : given.value, rest);
  if (given === undefined && value === undefined) {
    return `${key}${inner}: required (give --${kebab(key)}, ${prefix}${upperSnake(key)} or "${key}" in the config file)`;
  }
  const origin: Origin = given?.origin ?? { kind: 'default' };
  const where =
    origin.kind === 'file'
      ? `config file ${origin.path}: ${key}${inner}`
      : origin.kind === 'default'
        ? `${key}${inner} (default)`
        : `${origin.name}${inner}`;
  const got = isPrimitive(value) ? `, got ${JSON.stringify(value)}` : '';
  return `${where}: ${message}${got}`;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const step of path) {
    if (typeof current !== 'object' || current === null || typeof step === 'symbol') return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}

function isPrimitive(value: unknown): value is string | number | boolean | null {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}
