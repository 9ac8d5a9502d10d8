import { Observable } from 'rxjs';
import type { Backend, ChangeRecord, StoredItem } from '../contract/backend.js';
import type { Clock, TimerHandle } from '../contract/clock/types.js';
import { InvalidItemError } from '../contract/errors/store.js';
import { isLive } from '../contract/evaluate.js';
import { decodeLockRow, sessionLive, sessionRowOf } from '../lock/internal.js';

/**
 * Who leads an election: the candidate id and its term (the lock's fencing token).
 *
 * @example
 * ```ts
 * const leader: Leader | undefined = await election.leader();
 * if (leader) console.log(`${leader.id} leads, term ${leader.term}`);
 * ```
 */
export interface Leader {
  readonly id: string;
  readonly term: bigint;
}

/**
 * Where an election row is and how long a silent leader counts as leader.
 *
 * @example
 * ```ts
 * leaderChanges({ backend, clock, partition: '_elections', key: 'scheduler', maxClockSkewMs: 1_000 });
 * ```
 */
export interface LeaderSource {
  readonly backend: Backend;
  readonly clock: Clock;
  readonly partition: string;
  readonly key: string;
  readonly maxClockSkewMs: number;
}

/**
 * The leader an election row names, or undefined when it names none, its lease ended more than
 * `maxClockSkewMs` before `nowMs` (any candidate may take over), or the row expired. Throws
 * `InvalidItemError` for a row another writer left unreadable, the election row or the session row
 * it names (nobody can tell whether that session lives, so it is not read as "nobody leads"). A
 * leader tied to a session (`session.election()`) leads while its session row `session` is live.
 *
 * @example
 * ```ts
 * leaderOf(await backend.get('_elections', 'scheduler'), Date.now(), 1_000);
 * ```
 */
export function leaderOf(
  item: StoredItem | undefined,
  nowMs: number,
  maxClockSkewMs: number,
  session?: StoredItem,
): Leader | undefined {
  if (!isLive(item, nowMs)) return undefined;
  const row = decodeLockRow(item);
  if (row?.invalid)
    throw new InvalidItemError(item.partition, item.key, row.invalid.attribute, row.invalid.reason);
  if (!row?.owner || row.token === undefined) return undefined;
  if (row.session !== undefined)
    return sessionLive(session, nowMs, maxClockSkewMs) ? { id: row.owner, term: row.token } : undefined;
  if (row.leaseUntil === undefined || row.leaseUntil + maxClockSkewMs < nowMs) return undefined;
  return { id: row.owner, term: row.token };
}

/**
 * Whether two leader values are the same (same id and term; both undefined counts as same).
 *
 * @example
 * ```ts
 * sameLeader({ id: 'a', term: 1n }, { id: 'a', term: 1n }); // true
 * ```
 */
export function sameLeader(a: Leader | undefined, b: Leader | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.id === b.id && a.term === b.term);
}

/** Orders versions of one election row: terms only grow, and within a term the version does. */
type Rank = readonly [term: bigint, version: number];

function rankOf(item: StoredItem): Rank {
  return [decodeLockRow(item)?.token ?? -1n, item.version];
}

function newer(a: Rank, b: Rank | undefined): boolean {
  return b === undefined || a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
}

/**
 * The leader of one election row as a cold Observable: first the current leader (a consistent
 * read taken after the change feed is positioned, so nothing between is missed), then every
 * change of leader. Distinct: heartbeats (renewals rewrite the row) emit nothing. A leader that
 * stops renewing turns into `undefined` once its lease + `maxClockSkewMs` has passed, even before
 * anyone takes over. Out-of-order or replayed feed records are ignored (terms only grow).
 *
 * @example
 * ```ts
 * leaderChanges({ backend, clock, partition: '_elections', key: 'scheduler', maxClockSkewMs: 1_000 })
 *   .subscribe((leader) => console.log(leader?.id ?? 'no leader'));
 * ```
 */
export function leaderChanges(source: LeaderSource): Observable<Leader | undefined> {
  const { backend, clock, partition, key, maxClockSkewMs } = source;
  return new Observable<Leader | undefined>((subscriber) => {
    let rank: Rank | undefined;
    let current: StoredItem | undefined;
    let emitted: { value: Leader | undefined } | undefined;
    let timer: TimerHandle | undefined;
    let buffered: ChangeRecord[] | undefined = [];
    // A leader tied to a session leads while its session row is live: that row, followed on the
    // same feed (its renewals), read once when the leader's row first names it.
    let session: { readonly id: string; item: StoredItem | undefined; known: boolean } | undefined;

    const emit = () => {
      timer?.cancel();
      timer = undefined;
      const now = clock.now();
      const id = current && isLive(current, now) ? decodeLockRow(current)?.session : undefined;
      if (id !== undefined && session?.id !== id) {
        const s = { id, item: undefined as StoredItem | undefined, known: false };
        session = s;
        backend.get(sessionRowOf(id).partition, sessionRowOf(id).key, { consistent: true }).then(
          (item) => {
            if (subscriber.closed || session !== s || s.known) return;
            s.item = item;
            s.known = true;
            emit();
          },
          (err: unknown) => subscriber.error(err),
        );
      }
      if (id !== undefined && !session?.known) return; // emitted once the session row is read
      let leader: Leader | undefined;
      try {
        leader = leaderOf(current, now, maxClockSkewMs, id === undefined ? undefined : session?.item);
      } catch (err) {
        subscriber.error(err); // the election row is unreadable (InvalidItemError)
        return;
      }
      if (!emitted || !sameLeader(emitted.value, leader)) {
        emitted = { value: leader };
        subscriber.next(leader);
      }
      const until = leader
        ? decodeLockRow(id === undefined ? current : session?.item)?.leaseUntil
        : undefined;
      if (until !== undefined) {
        // Re-evaluated when the lease (plus skew) runs out without a renewal.
        timer = clock.setTimeout(emit, until + maxClockSkewMs - now + 1);
      }
    };
    const apply = (change: ChangeRecord) => {
      const sessionAt = session && sessionRowOf(session.id);
      if (session && change.partition === sessionAt?.partition && change.key === sessionAt.key) {
        const version = session.item?.version ?? -1;
        if (change.type === 'put' && change.item && change.item.version <= version) return false;
        session.item = change.type === 'put' ? change.item : undefined;
        session.known = true;
        return true;
      }
      if (change.partition !== partition || change.key !== key) return false;
      if (change.type === 'put' && change.item) {
        const r = rankOf(change.item);
        if (!newer(r, rank)) return false;
        rank = r;
        current = change.item;
        return true;
      }
      // A delete: ignore it when it removed an older row than the one known.
      if (change.previous && rank && newer(rank, rankOf(change.previous))) return false;
      current = undefined;
      return true;
    };

    const subscription = backend.changes().subscribe(
      (changes) => {
        if (buffered) {
          buffered.push(...changes);
          return;
        }
        let changed = false;
        for (const c of changes) changed = apply(c) || changed;
        if (changed) emit();
      },
      (err) => subscriber.error(err),
    );
    subscription.ready
      .then(() => backend.get(partition, key, { consistent: true }))
      .then(
        (item) => {
          if (subscriber.closed) return;
          if (item) {
            rank = rankOf(item);
            current = item;
          }
          const pending = buffered ?? [];
          buffered = undefined;
          for (const c of pending) apply(c);
          emit();
        },
        (err: unknown) => subscriber.error(err),
      );
    return () => {
      timer?.cancel();
      subscription.unsubscribe();
    };
  });
}
