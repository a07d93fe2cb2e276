/**
 * What a request that fails its route's zod checks gets: the API's one error shape, a 400 with the
 * stable code `bad-request` and a message naming each offending field, never zod's own answer.
 */
import type { Hook } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import type { ApiEnv } from '../bindings.js';
import { apiError } from '../errors.js';

/** The issues as one sentence, e.g. `query "missing": Invalid option: expected one of "0"|"1"`. */
export function describeIssues(where: string, error: ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.map(String).join('.');
      return field === '' ? `${where}: ${issue.message}` : `${where} "${field}": ${issue.message}`;
    })
    .join('; ');
}

export const validationHook: Hook<unknown, ApiEnv, string, undefined> = (result) => {
  if (!result.success) throw apiError(400, 'bad-request', describeIssues(result.target, result.error));
  return undefined;
};
