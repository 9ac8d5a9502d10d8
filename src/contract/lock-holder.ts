/**
 * Who holds a lock (or a semaphore permit), as its row says. Defined on the ground floor because
 * errors carry it (`LockTimeoutError.holder`); the lock folder re-exports it.
 *
 * @example
 * ```ts
 * const h = await lock.holder();
 * if (h) console.log(`${h.owner} holds token ${h.token} until ${h.expiresAt.toISOString()}`);
 * ```
 */
export interface LockHolder {
  /** The lock row's key (for a semaphore permit: `<key>#<slot>`). */
  readonly key: string;
  readonly owner: string;
  /** The holder's fencing token. */
  readonly token: bigint;
  /** The holder's `data` option, if it set one. */
  readonly data: string | undefined;
  /** The lease end the holder last wrote (its own wall clock). */
  readonly expiresAt: Date;
  /** The holder's lease length. */
  readonly leaseMs: number;
  /**
   * The id of the session the lease is tied to (`store.session()`), if any: such a lease lives
   * exactly as long as its session, and `expiresAt` is the session's lease end.
   */
  readonly session?: string;
}
