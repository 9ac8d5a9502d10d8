import type { StoredItem } from './backend.js';

/**
 * The fields that make a row a coordination row (a lock, semaphore slot, election or session
 * row) rather than a key/value row: every such row dynastore writes carries the fencing `token`
 * from its first grant on, and `owner`, lease and `session` fields while held. A key/value write
 * never sets any of them. Decided by the row's shape, not by its partition, so it holds wherever
 * the table layout keys those rows.
 *
 * @example
 * ```ts
 * COORDINATION_FIELDS.includes('token'); // true
 * ```
 */
export const COORDINATION_FIELDS: readonly string[] = ['token', 'owner', 'leaseMs', 'leaseUntil', 'session'];

/**
 * Whether a row is a coordination row (lock, semaphore, election, session), by its shape: one
 * of {@link COORDINATION_FIELDS} is present (of any type: an odd one is still not a key/value row). The one place that tells them from key/value rows
 * (stream triggers skip them unless asked for).
 *
 * @example
 * ```ts
 * isCoordinationRow({ partition: '_locks', key: 'job', version: 3, fields: { token: 7 } }); // true
 * isCoordinationRow({ partition: 'config', key: 'a', version: 1, fields: {}, payload: 'on' }); // false
 * ```
 */
export function isCoordinationRow(item: StoredItem): boolean {
  for (const name of COORDINATION_FIELDS) {
    if (item.fields[name] !== undefined || item.opaque?.includes(name)) return true;
  }
  return false;
}
