import type { StoredItem } from '../contract/backend.js';
import { backoffMs } from '../contract/backoff.js';
import { LegacyLayoutError, LockTimeoutError } from '../contract/errors/lock.js';
import { InvalidItemError, isRetryable } from '../contract/errors/store.js';
import { type Attempt, Contender } from './contender.js';
import type { Lease } from './lease.js';
import type { LegacyRows } from './legacy-layout.js';
import type { ResolvedLockOptions } from './options.js';
import { existingWaitQueue, type Turn, type WaitQueue, waitQueueFor } from './queue.js';
import { reportAcquire } from './report.js';
import type { LockContext } from './types.js';
import type { ChangeWaker } from './waker.js';

/**
 * The rows one acquire contends for: a lock's single row, or a semaphore's slots.
 *
 * @example
 * ```ts
 * const slots: SlotSet = { name: 'job', partition: '_locks', keys: ['job'], read: async () => new Map() };
 * ```
 */
export interface SlotSet {
  /** For error messages: the lock or semaphore key. */
  readonly name: string;
  readonly partition: string;
  readonly keys: readonly string[];
  /** The old layout's partition of the same rows (objects without a prefix), for `LegacyLayoutCheck`. */
  readonly legacyPartition?: string;
  /** Reads every row: one `get` for a lock, one `query` for a semaphore's slots. */
  read(): Promise<ReadonlyMap<string, StoredItem | undefined>>;
}

/**
 * How long to contend.
 *
 * @example
 * ```ts
 * const mode: ContendMode = { wait: true, waitMs: 5_000 };
 * ```
 */
export type ContendMode =
  | { readonly wait: false }
  | { readonly wait: true; readonly waitMs: number; readonly signal?: AbortSignal };

/**
 * Acquires one of `slots.keys`. The first step is always a single conditional write (no read):
 * uncontended, that is the whole cost. Refused, it learns the current row from the failed write,
 * then waits, woken by the change feed when a row changes and exactly when a takeover rule will
 * allow taking it; every grant is a conditional write the store re-checks.
 *
 * Waiters of one process for the same rows queue in arrival order ({@link WaitQueue}): only the
 * head writes, reads and listens, so a handoff costs one grant write per waiting process, not per
 * waiting task, and the process's waiters are served in order. A waiter that arrives while
 * others of its process wait joins the end of the line without writing.
 *
 * Reads: while the feed is live (subscribed, positioned, not throttled) the head reads the rows
 * once after the feed's position is fixed, then only as a safety net about once per `leaseMs`
 * ({@link safetyReadMs}): a change the feed missed costs at most a refused grant (rule (b)'s
 * version check) or one lease of delay. Without a live feed (no stream, failed, throttled,
 * `wakeOnChange: false`) it polls: jittered backoff from 10-20 ms up to `pollMs`.
 * `wait: false` (and `waitMs: 0`) never queues or sleeps (it reads a semaphore's slots once).
 *
 * Store errors: a non-retryable one rejects at once (so does any error with `wait: false`).
 * Retryable ones are retried with backoff, but once every call has failed for `maxOutageMs` the
 * wait rejects with the last error; a wait whose `waitMs` runs out without any call answering also
 * rejects with the last error rather than `LockTimeoutError` (the lock was never seen held).
 *
 * @example
 * ```ts
 * const lease = await contend(store, slots, options, { wait: true, waitMs: 5_000 });
 * ```
 */
export async function contend(
  ctx: LockContext,
  slots: SlotSet,
  o: ResolvedLockOptions,
  mode: ContendMode,
): Promise<Lease | undefined> {
  return reportAcquire(ctx, slots.name, mode.wait ? mode.signal : undefined, async () => {
    if (!mode.wait || mode.waitMs === 0) return contendFor(ctx, slots, o, mode, undefined);
    const queue = waitQueueFor(ctx, slots.partition, slots.keys);
    const turn = queue.join();
    try {
      return await contendFor(ctx, slots, o, mode, { queue, turn });
    } finally {
      queue.leave(turn);
    }
  });
}

/**
 * How long a waiter whose feed is live goes without reading the table: a random time in
 * [`leaseMs`, 1.2 × `leaseMs`] (about 330 strongly consistent reads, i.e. RCU, per hour at the
 * default 10 s lease). Jittered so the waiters of many processes do not read in step.
 *
 * @example
 * ```ts
 * safetyReadMs(10_000, () => 0.5); // 11_000
 * ```
 */
export function safetyReadMs(leaseMs: number, random: () => number = Math.random): number {
  return leaseMs * (1 + 0.2 * random());
}

async function contendFor(
  ctx: LockContext,
  slots: SlotSet,
  o: ResolvedLockOptions,
  mode: ContendMode,
  place: { readonly queue: WaitQueue; readonly turn: Turn } | undefined,
): Promise<Lease | undefined> {
  const { clock } = ctx;
  const random = ctx.random ?? Math.random;
  const signal = mode.wait ? mode.signal : undefined;
  const start = clock.monotonic();
  const deadline = mode.wait ? start + mode.waitMs : start;
  const queue = place?.queue;
  // Whether a store call answered, and since when every call has failed (shared by the queue's
  // heads: an outage that made the head before give up is not counted again from zero).
  let answered = false;
  const outage: { failingSince: number | undefined } = queue ?? { failingSince: undefined };
  const onAnswer = () => {
    answered = true;
    outage.failingSince = undefined;
    if (queue) queue.answeredAt = clock.monotonic();
  };
  let lastError: unknown;
  const timedOut = (knowledge: Contender) => {
    if (!answered && lastError !== undefined) throw lastError;
    const holder = slots.keys.map((k) => knowledge.holder(k)).find((h) => h !== undefined);
    return new LockTimeoutError(
      slots.name,
      clock.monotonic() - start,
      holder,
      lastError === undefined ? undefined : { cause: lastError },
    );
  };
  const contender = new Contender(ctx, slots.partition, o, onAnswer, queue?.knowledge);
  const legacy: LegacyRows | undefined =
    ctx.legacyLayout && slots.legacyPartition !== undefined
      ? { name: slots.name, partition: slots.legacyPartition, keys: slots.keys, skewMs: o.maxClockSkewMs }
      : undefined;
  /** A grant attempt, once no old-layout process holds the rows (`LegacyLayoutCheck`). */
  const attempt = async (key: string): Promise<Attempt> => {
    if (legacy && ctx.legacyLayout) {
      try {
        await ctx.legacyLayout.assertClear(legacy);
      } catch (error) {
        if (error instanceof LegacyLayoutError) throw error;
        return { kind: 'error', error };
      }
    }
    return contender.attempt(key);
  };
  if (place && queue && !queue.isHead(place.turn)) {
    // wait for this process's waiters ahead of us: they contend for all of us meanwhile
    while (!queue.isHead(place.turn)) {
      signal?.throwIfAborted();
      const remaining = deadline - clock.monotonic();
      if (remaining <= 0) {
        answered = queue.answeredAt >= start;
        lastError = queue.lastError;
        throw timedOut(contender);
      }
      await queue.waitTurn(place.turn, remaining, signal);
    }
    // the store answered a waiter before us
    if (queue.answeredAt >= start) answered = true;
  }
  const learnt = () => {
    if (queue) queue.learntAt = clock.monotonic();
  };
  const readAll = async () => {
    const sentAt = clock.monotonic();
    const rows = await slots.read();
    onAnswer();
    for (const key of slots.keys) contender.learn(key, rows.get(key), sentAt);
    learnt();
  };
  let waker: ChangeWaker | undefined;
  let refusals = 0;
  let burst = 0;
  let errors = 0;
  let polls = 0;
  let readFailures = 0;
  let slotsRead = false;
  // the next safety read is due at safetyAt, a safety interval after the rows were learnt at safetyFrom
  let safetyFrom = Number.NaN;
  let safetyAt = Number.NEGATIVE_INFINITY;
  /** Records a failed store call; rethrows it unless this wait should go on retrying. */
  const failed = (error: unknown) => {
    if (queue) queue.lastError = error;
    if (!isRetryable(error) || !mode.wait) throw error;
    lastError = error;
    // counted from the first failed call after the last answer, and never from before this wait began
    const now = clock.monotonic();
    outage.failingSince = Math.max(start, outage.failingSince ?? now);
    if (now - outage.failingSince >= o.maxOutageMs) throw error;
  };
  for (;;) {
    signal?.throwIfAborted();
    if (refusals > 0 && !slotsRead && slots.keys.length > 1) {
      slotsRead = true;
      try {
        await readAll();
      } catch (error) {
        failed(error);
      }
    }
    const unreadable = slots.keys.map((k) => contender.known(k)?.invalid);
    const first = unreadable[0];
    if (first && unreadable.every((bad) => bad !== undefined)) {
      // every row is one another writer left odd: waiting cannot help
      throw new InvalidItemError(slots.partition, slots.keys[0] ?? slots.name, first.attribute, first.reason);
    }
    const candidates = shuffle(
      slots.keys.filter((k) => contender.assess(k).takeable),
      random,
    );
    const key = candidates[0];
    if (key !== undefined && burst <= slots.keys.length + 1) {
      burst++;
      const a = await attempt(key);
      if (a.kind !== 'error') learnt();
      if (a.kind === 'granted') {
        if (signal?.aborted) {
          await a.lease.release().catch(() => undefined);
          throw signal.reason;
        }
        // A grant that took longer than the lease to confirm is of no use: its lease already
        // ran out (anyone may take the lock now). Free the row and try again (or give up).
        if (a.lease.remainingMs() <= 0) {
          await a.lease.release().catch(() => undefined);
          if (!mode.wait) return undefined;
          continue;
        }
        tellQueueOnRelease(ctx, slots, a.lease);
        if (legacy) ctx.legacyLayout?.track(a.lease, legacy);
        return a.lease;
      }
      if (a.kind === 'refused') {
        refusals++;
        continue;
      }
      failed(a.error);
      const now = clock.monotonic();
      const pause = Math.min(
        backoffMs(++errors, o.pollMs, ctx.random),
        deadline - now,
        (outage.failingSince ?? now) + o.maxOutageMs - now,
      );
      if (pause > 0) await clock.sleep(pause, signal);
      if (clock.monotonic() < deadline) continue;
    }
    burst = 0;
    if (!mode.wait) return undefined;
    const remaining = deadline - clock.monotonic();
    if (remaining <= 0 || !queue) throw timedOut(contender);
    // The feed is worth starting once the store answers (a store that never did has no row to watch).
    if (o.wakeOnChange && !waker && answered) waker = queue.waker();
    const takeoverIn = Math.min(...slots.keys.map((k) => contender.assess(k).waitMs));
    const now = clock.monotonic();
    let readIn: number;
    if (waker?.live) {
      // a failed read is retried with backoff; a read made before the feed's position was fixed
      // may have missed a change: read once more
      if (readFailures > 0) readIn = backoffMs(readFailures, o.pollMs, ctx.random);
      else if (queue.learntAt < waker.readyAt) readIn = 0;
      else {
        if (safetyFrom !== queue.learntAt) {
          safetyFrom = queue.learntAt;
          safetyAt = safetyFrom + safetyReadMs(o.leaseMs, random);
        }
        readIn = safetyAt - now;
      }
    } else readIn = backoffMs(++polls, o.pollMs, ctx.random);
    const ms = Math.min(takeoverIn, readIn, remaining);
    const states = waker?.stateChanges;
    const changes = waker ? await waker.wait(ms, signal) : await clock.sleep(ms, signal).then(() => []);
    if (changes.length > 0) {
      for (const c of changes) contender.learn(c.key, c.type === 'put' ? c.item : undefined);
      continue;
    }
    if (slots.keys.some((k) => contender.assess(k).takeable) || clock.monotonic() >= deadline) continue;
    // woken by the feed's state (ready, behind, caught up, failed): the next turn decides whether to read
    if (waker && waker.stateChanges !== states) continue;
    try {
      await readAll();
      readFailures = 0;
    } catch (error) {
      readFailures++;
      failed(error);
    }
  }
}

/**
 * Once `lease` is released (its release write done), tells this process's waiters for the same
 * rows, if any: the next one in line then grants at once, one round trip after the release,
 * instead of after the change feed delivers it.
 */
function tellQueueOnRelease(ctx: LockContext, slots: SlotSet, lease: Lease): void {
  lease.signal.addEventListener(
    'abort',
    () => {
      if ((lease.signal.reason as { reason?: unknown } | undefined)?.reason !== 'released') return;
      // after release() has stored its promise (the abort fires from inside it)
      queueMicrotask(() => {
        lease.release().then(
          () => existingWaitQueue(ctx, slots.partition, slots.keys)?.released(lease.key, lease.token),
          () => {},
        );
      });
    },
    { once: true },
  );
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
