import type { Backend, StoredItem } from '../contract/backend.js';
import type { Clock } from '../contract/clock/types.js';
import { decodeLockRow } from './row.js';

interface Sighting {
  readonly version: number;
  readonly token: bigint | undefined;
  /** Monotonic time (of `clock`) this very session row was first seen in this process. */
  readonly since: number;
  readonly clock: Clock;
}

/** Per backend (one process's view of one table): the earliest sighting of each session row. */
const sightings = new WeakMap<Backend, Map<string, Sighting>>();

/** Most sessions remembered per backend (the oldest sighting is forgotten first). */
const MAX_SESSIONS = 10_000;

/*
 * Rule (b) counts from the moment *this process* first saw a session row unchanged. Everything in
 * one process that sees session rows (a watch following the sessions its keys are bound to, lock
 * contenders) shares those sightings here, so that a contender that starts after a watch has been
 * following a session for a while does not start counting again from zero. Safe for the same
 * reason rule (b) is: any sighting of a row version comes after the holder sent that renewal, and
 * the same monotonic clock measures both (a sighting is used only with the clock that made it).
 */

/**
 * Records that session row `item` (of session `id`) was seen at monotonic `since` (unless an
 * earlier sighting of the very same row is known).
 *
 * @example
 * ```ts
 * recordSessionSighting(backend, clock, id, item, clock.monotonic());
 * ```
 */
export function recordSessionSighting(
  backend: Backend,
  clock: Clock,
  id: string,
  item: StoredItem | undefined,
  since: number,
): void {
  const row = decodeLockRow(item);
  if (!row?.owner || row.invalid) return;
  let map = sightings.get(backend);
  if (!map) {
    map = new Map();
    sightings.set(backend, map);
  }
  const known = map.get(id);
  if (known && known.clock === clock && known.version === row.version && known.token === row.token) {
    if (known.since <= since) return;
  }
  map.delete(id);
  map.set(id, { version: row.version, token: row.token, since, clock });
  if (map.size > MAX_SESSIONS) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

/**
 * When this process first saw session row `item` (that very version and token), by `clock`, if
 * it did.
 *
 * @example
 * ```ts
 * const since = firstSighting(backend, clock, id, item) ?? clock.monotonic();
 * ```
 */
export function firstSighting(
  backend: Backend,
  clock: Clock,
  id: string,
  item: StoredItem | undefined,
): number | undefined {
  const row = decodeLockRow(item);
  const known = sightings.get(backend)?.get(id);
  if (!row || !known || known.clock !== clock) return undefined;
  return known.version === row.version && known.token === row.token ? known.since : undefined;
}
