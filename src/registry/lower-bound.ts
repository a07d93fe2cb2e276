/**
 * Binary search over id-ordered arrays, so a change finds its place in O(log n) and the fleet is never
 * re-sorted. Order is plain string comparison (UTF-16 code units), the order `Array.prototype.sort`
 * gives, which is what `RegistryView.ids` promises.
 */

/** The first index whose key is not less than `id`: where `id` is, or where it would go. */
export function lowerBound<T>(items: readonly T[], id: string, keyOf: (item: T) => string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keyOf(items[mid] as T) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
