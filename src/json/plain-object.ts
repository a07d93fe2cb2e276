/**
 * The one test for "a JSON object" (not null, not an array) applied to everything parsed from a peer,
 * a config file or a status document, so every reader draws the line in the same place.
 */
export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
