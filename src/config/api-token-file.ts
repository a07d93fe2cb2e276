/**
 * The API token read from `apiTokenFile`: a token on the command line is visible to every user of the
 * host through `ps`, one in a file is only as visible as the file's mode allows.
 */
import { readFile } from 'node:fs/promises';

const READ_FAILURES: Record<string, string> = {
  ENOENT: 'file not found',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, not a file',
};

/** `apiToken`, or the content of `apiTokenFile` without its trailing newline; one clear line if unusable. */
export async function resolveApiToken(config: {
  readonly apiToken?: string | undefined;
  readonly apiTokenFile?: string | undefined;
}): Promise<string | undefined> {
  const path = config.apiTokenFile;
  if (path === undefined) return config.apiToken;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new Error(`cannot read the API token file ${path}: ${READ_FAILURES[code] ?? String(error)}`);
  }
  // Editors and `echo` end files with a newline; it is not part of the token.
  const token = text.replace(/[\r\n]+$/, '');
  if (token === '') throw new Error(`the API token file ${path} is empty`);
  // A header cannot carry a line break, so such a token could never be presented.
  if (/[\r\n]/.test(token)) throw new Error(`the API token file ${path} must hold one line`);
  return token;
}
