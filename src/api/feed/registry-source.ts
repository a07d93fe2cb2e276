/**
 * The slice of the registry the north-bound API reads, declared here so `src/api/` depends on a
 * shape rather than on the registry's implementation (the real registry satisfies it structurally).
 */
import type { Observable } from 'rxjs';
import type { RegistryChange, RegistryView } from '../../registry/registry-types.js';

export interface RegistrySource {
  /** The newest immutable view; synchronous and O(1), so HEAD can answer from it directly. */
  current(): RegistryView;
  /** Every change, after `current()` already reflects it; hot (no replay). */
  readonly changes$: Observable<RegistryChange>;
}
