/**
 * The cnames of a simulated fleet: `<prefix>-1`... zero-padded to the width of `count`, so they sort
 * the way they are numbered. Shared by the fleet and by `simulate --issue-only`, which must issue
 * certificates for exactly the names the fleet will dial with.
 */
export function simulatedCnames(prefix: string, count: number): string[] {
  const width = String(count).length;
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(width, '0')}`);
}
