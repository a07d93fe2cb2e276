/**
 * An `application/x-www-form-urlencoded` body as the JSON object the old tower's express body parser
 * made of it (`qs` extended parsing), so a form POST reaches a legacy agent as it used to:
 * `a=1&a=2` is `{"a":["1","2"]}`, `a[b]=1` is `{"a":{"b":"1"}}`, `a[]=1` and `a[0]=1` are arrays.
 *
 * Bounded as `qs` was: at most `maxParameters` pairs (more is refused, as body-parser did), `maxDepth`
 * bracket levels (the rest of the key stays one literal key), and an index past `maxArrayIndex`
 * makes an object key rather than a sparse array. Keys naming `Object.prototype` members are dropped.
 */

export interface FormLimits {
  /** Most `name=value` pairs in one body (body-parser's `parameterLimit`). */
  readonly maxParameters: number;
  /** Most bracket levels parsed in one key (`qs`'s `depth`). */
  readonly maxDepth: number;
  /** Highest `[n]` index that makes an array (`qs`'s `arrayLimit`). */
  readonly maxArrayIndex: number;
}

export const FORM_LIMITS: FormLimits = { maxParameters: 1000, maxDepth: 5, maxArrayIndex: 20 };

export class TooManyParameters extends Error {}

type Value = string | Value[] | Record<string, unknown>;
type FormObject = Record<string, unknown>;

const isProtoKey = (key: string): boolean => Object.hasOwn(Object.prototype, key);

function decode(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    // What qs did with a bad escape: keep the text as it came.
    return spaced;
  }
}

export function parseForm(text: string, limits: FormLimits = FORM_LIMITS): FormObject {
  const pairs = text.split('&');
  if (pairs.length > limits.maxParameters) {
    throw new TooManyParameters(`a form body has more than ${limits.maxParameters} parameters`);
  }
  // Repeated names first gather into arrays, as qs does before it reads brackets.
  const flat = new Map<string, Value>();
  for (const pair of pairs) {
    if (pair === '') continue;
    const bracketEquals = pair.indexOf(']=');
    const at = bracketEquals === -1 ? pair.indexOf('=') : bracketEquals + 1;
    const key = decode(at === -1 ? pair : pair.slice(0, at));
    if (key === '') continue;
    const value = at === -1 ? '' : decode(pair.slice(at + 1));
    const known = flat.get(key);
    flat.set(key, known === undefined ? value : ([] as Value[]).concat(known, value));
  }
  let result: FormObject = {};
  for (const [key, value] of flat) {
    const chain = keyChain(key, limits.maxDepth);
    if (chain) result = merge(result, nest(chain, value, limits.maxArrayIndex)) as FormObject;
  }
  return compact(result) as FormObject;
}

/**
 * `a[b][c]` as `['a', '[b]', '[c]']`, read as qs read it; levels past `maxDepth` stay one literal
 * key. Undefined for a key qs ignored (one naming an `Object.prototype` member).
 */
function keyChain(key: string, maxDepth: number): string[] | undefined {
  const first = /\[[^[\]]*\]/.exec(key);
  const parent = first ? key.slice(0, first.index) : key;
  const chain: string[] = [];
  if (parent) {
    if (isProtoKey(parent)) return undefined;
    chain.push(parent);
  }
  const child = /\[[^[\]]*\]/g;
  let depth = 0;
  let segment = child.exec(key);
  while (segment !== null && depth < maxDepth) {
    depth++;
    if (isProtoKey(segment[0].slice(1, -1))) return undefined;
    chain.push(segment[0]);
    segment = child.exec(key);
  }
  if (segment) chain.push(`[${key.slice(segment.index)}]`);
  return chain;
}

function nest(chain: readonly string[], value: Value, maxArrayIndex: number): Value {
  let leaf: Value = value;
  for (let i = chain.length - 1; i >= 0; i--) {
    const root = chain[i] ?? '';
    if (root === '[]') {
      leaf = ([] as Value[]).concat(leaf);
      continue;
    }
    const bracketed = root.startsWith('[') && root.endsWith(']');
    const name = bracketed ? root.slice(1, -1) : root;
    const index = Number.parseInt(name, 10);
    if (bracketed && String(index) === name && index >= 0 && index <= maxArrayIndex) {
      const array: Value[] = [];
      array[index] = leaf;
      leaf = array;
    } else {
      leaf = { [name]: leaf };
    }
  }
  return leaf;
}

const isObject = (value: unknown): value is FormObject | unknown[] =>
  typeof value === 'object' && value !== null;

/** qs's merge: objects deepen, arrays meet by index, a scalar meeting anything makes a list. */
function merge(target: unknown, source: unknown): unknown {
  if (!source) return target;
  if (!isObject(source)) {
    if (Array.isArray(target)) return target.concat([source]);
    if (isObject(target)) return isProtoKey(String(source)) ? target : { ...target, [String(source)]: true };
    return [target, source];
  }
  if (!isObject(target)) return [target].concat(source);
  if (Array.isArray(target) && Array.isArray(source)) {
    // slice and concat keep an array's holes, which `compact` then drops; spread would fill them.
    const merged = target.slice();
    source.forEach((item, index) => {
      if (!(index in merged)) merged[index] = item;
      else if (isObject(merged[index]) && isObject(item)) merged[index] = merge(merged[index], item);
      else merged.push(item);
    });
    return merged;
  }
  const merged: FormObject = { ...target };
  for (const [key, item] of Object.entries(source)) {
    if (isProtoKey(key)) continue;
    merged[key] = Object.hasOwn(merged, key) ? merge(merged[key], item) : item;
  }
  return merged;
}

/** Drops the holes `a[3]=x` leaves in an array, as qs's compact did. */
function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((_, index) => index in value).map(compact);
  if (isObject(value)) {
    const object = value as FormObject;
    for (const [key, item] of Object.entries(object)) object[key] = compact(item);
  }
  return value;
}
