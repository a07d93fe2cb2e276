/**
 * Gives a change record a `global` field that is worked out on first read, then kept as a plain
 * value (which also lets go of whatever the getter needed: the view behind it).
 *
 * Changes are made for every poll that found something new, at hundreds a second in a large fleet,
 * and most are never read by anyone who wants the fleet's checksum: hashing it for each one was the
 * registry's largest cost. Enumerable, so it reads, compares and serialises like any other field.
 */
export function withLazyGlobal<T extends object>(
  fields: T,
  global: () => string,
): T & { readonly global: string } {
  return Object.defineProperty(fields, 'global', {
    enumerable: true,
    configurable: true,
    get(this: T) {
      const value = global();
      Object.defineProperty(this, 'global', { value, enumerable: true });
      return value;
    },
  }) as T & { readonly global: string };
}
