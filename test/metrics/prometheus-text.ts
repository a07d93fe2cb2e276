/**
 * A small strict parser of the Prometheus text format (0.0.4), for tests only: prom-client writes
 * the format but cannot read it, and no parser is installed (`parse-prometheus-text-format` would be
 * the package to add). Anything off-format throws with the line, so a malformed exposition fails.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  help: string;
  type: MetricType;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: readonly string[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const family = (name: string): MetricFamily => {
    let found = families.get(name);
    if (!found) {
      found = { name, help: '', type: 'untyped', samples: [] };
      families.set(name, found);
    }
    return found;
  };
  if (text !== '' && !text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const fail = (why: string): never => {
      throw new Error(`${why}: ${JSON.stringify(line)}`);
    };
    if (line.startsWith('#')) {
      const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!meta) continue; // a plain comment
      const [, kind, name = '', rest = ''] = meta;
      if (!NAME.test(name)) fail('bad metric name');
      if (kind === 'HELP') family(name).help = rest;
      else {
        if (!TYPES.includes(rest)) fail('bad type');
        const f = family(name);
        if (f.samples.length > 0) fail('TYPE after samples');
        f.type = rest as MetricType;
      }
      continue;
    }
    const sample = parseSample(line, fail);
    const owner = ownerOf(families, sample.name);
    if (!owner) fail('sample without a HELP/TYPE family');
    owner?.samples.push(sample);
  }
  return families;
}

function ownerOf(families: Map<string, MetricFamily>, sampleName: string): MetricFamily | undefined {
  for (const f of families.values()) {
    for (const suffix of SUFFIXES[f.type]) if (`${f.name}${suffix}` === sampleName) return f;
  }
  return undefined;
}

function parseSample(line: string, fail: (why: string) => never): Sample {
  const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (!head) return fail('bad sample name');
  const name = head[1] ?? '';
  let at = name.length;
  const labels: Record<string, string> = {};
  if (line[at] === '{') {
    at += 1;
    while (line[at] !== '}') {
      const eq = line.indexOf('=', at);
      if (eq < 0) fail('label without "="');
      const label = line.slice(at, eq);
      if (!LABEL_NAME.test(label)) fail('bad label name');
      if (label in labels) fail('repeated label');
      if (line[eq + 1] !== '"') fail('label value not quoted');
      let value = '';
      let i = eq + 2;
      for (;;) {
        const ch = line[i];
        if (ch === undefined) fail('unterminated label value');
        if (ch === '"') break;
        if (ch === '\\') {
          const next = line[i + 1];
          if (next === 'n') value += '\n';
          else if (next === '\\' || next === '"') value += next;
          else fail('bad escape');
          i += 2;
        } else {
          value += ch;
          i += 1;
        }
      }
      labels[label] = value;
      at = i + 1;
      if (line[at] === ',') at += 1;
      else if (line[at] !== '}') fail('expected "," or "}"');
    }
    at += 1;
  }
  const parts = line.slice(at).split(' ');
  if (parts[0] !== '' || parts.length < 2 || parts.length > 3) fail('expected " value [timestamp]"');
  const raw = parts[1] ?? '';
  // Prometheus reads values with Go's ParseFloat: Inf and NaN in any case (prom-client writes "Nan").
  const special = raw.toLowerCase();
  const isNaNText = special === 'nan';
  const value =
    special === '+inf' || special === 'inf'
      ? Infinity
      : special === '-inf'
        ? -Infinity
        : isNaNText
          ? NaN
          : Number(raw);
  if (raw === '' || (Number.isNaN(value) && !isNaNText)) fail('bad value');
  if (parts[2] !== undefined && !/^-?\d+$/.test(parts[2])) fail('bad timestamp');
  return { name, labels, value };
}

/** The value of the first sample of `name` whose labels include `labels`; undefined when none. */
export function sampleValue(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}
