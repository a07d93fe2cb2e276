/**
 * The exact commands a run started, in order and without repeats, for BENCHMARKS.md. Temporary
 * paths are shown as `$TMP` and the repository as `.`, so the list reads the same on every run.
 */
const replacements: [string, string][] = [];
const seen = new Set<string>();
const lines: string[] = [];

const quote = (word: string): string =>
  /^[\w@%+=:,./$-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;

export const commandLog = {
  /** Shows `path` as `label` in every command recorded from now on. */
  alias(path: string, label: string): void {
    replacements.push([path, label]);
    replacements.sort((a, b) => b[0].length - a[0].length);
  },
  /** `text` with every aliased path shown by its label (for config files too). */
  redact(text: string): string {
    let out = text;
    for (const [path, label] of replacements) out = out.split(path).join(label);
    return out;
  },
  record(argv: readonly string[]): void {
    const line = commandLog.redact(argv.map(quote).join(' '));
    if (seen.has(line)) return;
    seen.add(line);
    lines.push(line);
  },
  list(): readonly string[] {
    return lines;
  },
};
