import type { Backend } from '../contract/backend.js';
import type { Clock } from '../contract/clock/types.js';
import { RowKnowledge } from './contender.js';
import type { LockContext } from './types.js';
import { ChangeWaker } from './waker.js';

/** One waiter's place in a {@link WaitQueue}. */
export interface Turn {
  /** Set while the waiter sleeps until its turn. */
  wake?: () => void;
}

/**
 * The waiters of one process for the same lock rows (one lock, or one semaphore's slots) on the
 * same store and clock, in arrival order. Only the head contends: it alone writes grants, reads
 * the rows and listens to the change feed; the others sleep until they are head. So a handoff
 * costs this process one grant write however many of its tasks wait, and its waiters are served
 * first come, first served (no starvation).
 *
 * Why a queue in memory and not in the table: it costs nothing (no write to join or leave, no
 * periodic write to prove a waiter alive) and its head can never be dead while the process lives:
 * a head that is granted, times out, is aborted or fails leaves at once (in `contend`'s `finally`),
 * and the next waiter is head in the same turn of the event loop. Across processes, each process
 * with waiters is one contender.
 *
 * The head passes on what it learnt ({@link RowKnowledge}, including the row it was granted), the
 * feed subscription (so no change is missed between two heads), and when the store last answered.
 *
 * @example
 * ```ts
 * const queue = waitQueueFor(ctx, '_locks', ['job']);
 * const turn = queue.join();
 * try {
 *   while (!queue.isHead(turn)) await queue.waitTurn(turn, 1_000);
 * } finally {
 *   queue.leave(turn);
 * }
 * ```
 */
export class WaitQueue {
  /** Rows and rule-(b) observations, shared by every head of this queue. */
  readonly knowledge = new RowKnowledge();
  /** Monotonic time a store call of any head last answered (-Infinity: none yet). */
  answeredAt = Number.NEGATIVE_INFINITY;
  /** Since when every store call of the heads has failed (undefined: the last one answered). */
  failingSince: number | undefined;
  /** The last failed store call's error, for waiters that time out before their turn. */
  lastError: unknown;
  /** Monotonic time rows were last learnt from the table itself (a read or a write's answer). */
  learntAt = Number.NEGATIVE_INFINITY;
  readonly #line: Turn[] = [];
  readonly #ctx: LockContext;
  readonly #partition: string;
  readonly #keys: readonly string[];
  readonly #onEmpty: () => void;
  #waker: ChangeWaker | undefined;

  constructor(ctx: LockContext, partition: string, keys: readonly string[], onEmpty: () => void) {
    this.#ctx = ctx;
    this.#partition = partition;
    this.#keys = keys;
    this.#onEmpty = onEmpty;
  }

  /** The waiters in line, the head included. */
  get size(): number {
    return this.#line.length;
  }

  /** Joins at the end of the line. */
  join(): Turn {
    const turn: Turn = {};
    this.#line.push(turn);
    return turn;
  }

  isHead(turn: Turn): boolean {
    return this.#line[0] === turn;
  }

  /** Resolves when `turn` is head or after `ms`; rejects when `signal` aborts. */
  waitTurn(turn: Turn, ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.isHead(turn)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const finish = (err?: unknown) => {
        timer.cancel();
        turn.wake = undefined;
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onAbort = () => finish(signal?.reason ?? new Error('aborted'));
      // an acquire() is waiting on this: keep the process alive
      const timer = this.#ctx.clock.setTimeout(() => finish(), Math.max(0, ms), { keepAlive: true });
      turn.wake = () => finish();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Leaves the line (idempotent); the next waiter, if any, is head at once. The last one out closes the feed. */
  leave(turn: Turn): void {
    const i = this.#line.indexOf(turn);
    if (i < 0) return;
    this.#line.splice(i, 1);
    if (i === 0) this.#line[0]?.wake?.();
    if (this.#line.length > 0) return;
    this.#waker?.close();
    this.#waker = undefined;
    this.#onEmpty();
  }

  /** A lease of this process on `key` was released: the head may take the row at once (see {@link RowKnowledge.released}). */
  released(key: string, token: bigint): void {
    if (this.knowledge.released(key, token)) this.#waker?.nudge();
  }

  /** The queue's change waker, subscribed on first use and kept until the line is empty. */
  waker(): ChangeWaker {
    if (!this.#waker) {
      this.#waker = new ChangeWaker(this.#ctx.backend, this.#ctx.clock, this.#partition, new Set(this.#keys));
      this.#waker.start();
    }
    return this.#waker;
  }
}

const queues = new WeakMap<Backend, WeakMap<Clock, Map<string, WaitQueue>>>();

/**
 * The {@link WaitQueue} of this process for `keys` of `partition`, if one has waiters.
 *
 * @example
 * ```ts
 * existingWaitQueue(ctx, '_locks', ['job'])?.released('job', lease.token);
 * ```
 */
export function existingWaitQueue(
  ctx: LockContext,
  partition: string,
  keys: readonly string[],
): WaitQueue | undefined {
  return queues
    .get(ctx.backend)
    ?.get(ctx.clock)
    ?.get(JSON.stringify([partition, ...keys]));
}

/**
 * The {@link WaitQueue} of this process for `keys` of `partition` on `ctx`'s store and clock
 * (made on first use, dropped when its last waiter leaves).
 *
 * @example
 * ```ts
 * const queue = waitQueueFor(ctx, '_locks', ['job']);
 * ```
 */
export function waitQueueFor(ctx: LockContext, partition: string, keys: readonly string[]): WaitQueue {
  let byClock = queues.get(ctx.backend);
  if (!byClock) {
    byClock = new WeakMap();
    queues.set(ctx.backend, byClock);
  }
  let byRows = byClock.get(ctx.clock);
  if (!byRows) {
    byRows = new Map();
    byClock.set(ctx.clock, byRows);
  }
  const id = JSON.stringify([partition, ...keys]);
  let queue = byRows.get(id);
  if (!queue) {
    const rows = byRows;
    const made: WaitQueue = new WaitQueue(ctx, partition, keys, () => {
      if (rows.get(id) === made) rows.delete(id);
    });
    queue = made;
    rows.set(id, made);
  }
  return queue;
}
