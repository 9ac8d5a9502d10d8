import type { StoredItem, WriteInput } from '../contract/backend.js';
import { readBackUnlessUnreachable } from '../contract/settle.js';
import { newWriteId, WRITE_ID_FIELD } from '../contract/write-id.js';
import { killItem } from './mutants.js';
import { decodeLockRow, type LockRow } from './row.js';
import { killSessionItem, sessionGrantItem, sessionRowOf } from './session-row.js';
import { firstSighting, recordSessionSighting } from './session-sightings.js';
import type { LockContext } from './types.js';

/**
 * Whether a session-bound row may be taken now, and if not, how long until the takeover rules
 * (applied to its session row) may allow it.
 *
 * @example
 * ```ts
 * const { takeable, waitMs } = sessions.assess('3f2a...');
 * ```
 */
export interface SessionAssessment {
  readonly takeable: boolean;
  readonly waitMs: number;
}

/**
 * The outcome of one takeover attempt on a session-bound lock row: `granted` (with the lock row
 * as written), `refused` (the session is live, or the row changed: both rows are learnt), or
 * `error` (the rows read back, if any, are learnt).
 *
 * @example
 * ```ts
 * const r = await sessions.take(row, grant);
 * ```
 */
export type SessionTakeResult =
  | { readonly kind: 'granted' }
  | { readonly kind: 'refused'; readonly lockRow?: StoredItem | undefined }
  | { readonly kind: 'error'; readonly error: unknown; readonly lockRow?: StoredItem | undefined };

interface Seen {
  readonly row: LockRow | undefined;
  /** Monotonic time this exact session row (version, token) was first seen. */
  readonly since: number;
}

/**
 * One contender's knowledge of the session rows that lock rows it wants name, and the takeover
 * of such a lock row. The takeover rules of `Contender` apply to the *session row*: (a) its lease
 * end + `maxClockSkewMs` is behind this process's wall clock, or (b) this process has seen the very
 * same session row (version and token) unchanged for `ruleBWaitMs(session leaseMs)`; a session row
 * that is absent or has no owner is dead at once. The store re-checks it inside the grant: a
 * transaction whose first item marks the session row dead (under the same rule) and whose second
 * is the grant, allowed only while the lock row still names that session. A live session's locks
 * are never taken; a paused session that wakes finds its next renewal refused.
 *
 * @example
 * ```ts
 * const sessions = new SessionRows(ctx, 1_000, 86_400_000, ruleBWaitMs);
 * await sessions.read('3f2a...');
 * ```
 */
export class SessionRows {
  readonly #ctx: LockContext;
  readonly #skewMs: () => number;
  readonly #retentionMs: number;
  readonly #ruleBWaitMs: (leaseMs: number) => number;
  readonly #seen = new Map<string, Seen>();
  readonly #onAnswer: () => void;

  constructor(
    ctx: LockContext,
    skewMs: () => number,
    retentionMs: number,
    ruleBWaitMs: (leaseMs: number) => number,
    onAnswer: () => void,
  ) {
    this.#ctx = ctx;
    this.#skewMs = skewMs;
    this.#retentionMs = retentionMs;
    this.#ruleBWaitMs = ruleBWaitMs;
    this.#onAnswer = onAnswer;
  }

  /** Records what a read or a failed transaction said about session row `id`. */
  learn(id: string, item: StoredItem | undefined): void {
    const row = decodeLockRow(item);
    const before = this.#seen.get(id);
    if (before && row && before.row && before.row.version === row.version && before.row.token === row.token)
      return;
    // rule (b) counts from this process's first sighting of this very row (a watch may have seen it first)
    const { backend, clock } = this.#ctx;
    const now = clock.monotonic();
    const since = Math.min(now, firstSighting(backend, clock, id, item) ?? now);
    recordSessionSighting(backend, clock, id, item, since);
    this.#seen.set(id, { row, since });
  }

  /** The lease end (epoch ms, holder's wall clock) session row `id` showed when last learnt, if any. */
  leaseUntil(id: string): number | undefined {
    return this.#seen.get(id)?.row?.leaseUntil;
  }

  /** Applies the takeover rules to session `id` as known (unknown: worth an attempt, which reads it). */
  assess(id: string): SessionAssessment {
    if (this.#ctx.sessionBinding?.id === id) return { takeable: false, waitMs: Number.POSITIVE_INFINITY };
    const seen = this.#seen.get(id);
    if (!seen) return { takeable: true, waitMs: 0 };
    const row = seen.row;
    if (row?.invalid) return { takeable: false, waitMs: Number.POSITIVE_INFINITY };
    if (!row?.owner) return { takeable: true, waitMs: 0 };
    let waitMs = Number.POSITIVE_INFINITY;
    if (row.leaseUntil !== undefined) {
      const byWall = row.leaseUntil + this.#skewMs() - this.#ctx.clock.now();
      if (byWall < 0) return { takeable: true, waitMs: 0 };
      waitMs = byWall + 1;
    }
    const byObservation = this.#observedFor(seen);
    if (byObservation <= 0) return { takeable: true, waitMs: 0 };
    return { takeable: false, waitMs: Math.min(waitMs, byObservation) };
  }

  /**
   * Takes over lock row `lockRow` (bound to a session) with `grant` (the contender's grant write).
   * Reads the session row first (one strongly consistent read): only a session that the rules
   * say is dead is worth the transaction.
   */
  async take(lockRow: LockRow, grant: WriteInput): Promise<SessionTakeResult> {
    const id = lockRow.session;
    if (id === undefined) throw new Error('unreachable: take() is for session-bound rows');
    if (this.#ctx.sessionBinding?.id === id) return { kind: 'refused' };
    try {
      const at = sessionRowOf(id);
      this.learn(id, await this.#ctx.backend.get(at.partition, at.key, { consistent: true }));
      this.#onAnswer();
    } catch (error) {
      return { kind: 'error', error };
    }
    if (!this.assess(id).takeable) return { kind: 'refused' };
    const seen = this.#seen.get(id);
    const row = seen?.row;
    const wall = this.#ctx.clock.now();
    const observed =
      row?.owner !== undefined && row.token !== undefined && seen && this.#observedFor(seen) <= 0
        ? { version: row.version, token: row.token }
        : undefined;
    const writeId = newWriteId();
    const kill = killSessionItem(
      { sessionId: id, expiredBefore: wall - this.#skewMs(), ...(observed && { observed }) },
      wall,
      this.#retentionMs,
    );
    const ours = (item: StoredItem | undefined) => item?.fields[WRITE_ID_FIELD] === writeId;
    let result: Awaited<ReturnType<LockContext['backend']['transact']>>;
    try {
      result = await this.#ctx.backend.transact([killItem(kill), sessionGrantItem(grant, id, writeId)]);
    } catch (error) {
      if (!readBackUnlessUnreachable(error)) return { kind: 'error', error };
      // the answer was lost: the transaction may have applied; our write id in the row says so
      try {
        const item = await this.#ctx.backend.get(grant.partition, grant.key, { consistent: true });
        this.#onAnswer();
        if (ours(item)) return { kind: 'granted' };
        return { kind: 'error', error, lockRow: item };
      } catch {
        return { kind: 'error', error };
      }
    }
    this.#onAnswer();
    if (result.ok) return { kind: 'granted' };
    // a resent transaction whose first attempt applied is refused by its own grant
    if (ours(result.current[1])) return { kind: 'granted' };
    if (result.failed[0]) this.learn(id, result.current[0]);
    return result.failed[1] ? { kind: 'refused', lockRow: result.current[1] } : { kind: 'refused' };
  }

  /** Ms until rule (b) allows taking the session's locks (<= 0: now). */
  #observedFor(seen: Seen): number {
    const leaseMs = seen.row?.leaseMs;
    if (leaseMs === undefined) return Number.POSITIVE_INFINITY;
    return seen.since + this.#ruleBWaitMs(leaseMs) - this.#ctx.clock.monotonic();
  }
}
