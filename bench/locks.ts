import type { BenchEnv } from './env.js';
import { Meter } from './meter.js';
import type { PeerLocks } from './peer/client.js';
import type { SideName } from './results.js';

/** A held lock, whichever library granted it. */
export interface BenchLease {
  readonly token: bigint | number;
  release(): Promise<void>;
}

/** Lease timing, the same for both libraries in a scenario. */
export interface LockTiming {
  readonly leaseMs: number;
  readonly heartbeatMs: number;
}

/** One library's locks on one meter. */
export interface LockSide {
  readonly side: SideName;
  readonly meter: Meter;
  /** Waits for `key` (until `signal` aborts: then rejects with its reason). */
  acquire(key: string, signal?: AbortSignal): Promise<BenchLease>;
}

/**
 * dynastore's locks: `store.lock(key, timing).acquire({ signal })`, other options at their defaults.
 *
 * @example
 * ```ts
 * const ours = ourLockSide(env, { leaseMs: 10_000, heartbeatMs: 3_333 });
 * ```
 */
export function ourLockSide(env: BenchEnv, timing: LockTiming): LockSide {
  const meter = new Meter();
  const store = env.ours(meter);
  return {
    side: 'ours',
    meter,
    acquire: async (key, signal) => {
      const lease = await store.lock(key, timing).acquire(signal ? { signal } : {});
      return { token: lease.token, release: () => lease.release() };
    },
  };
}

/**
 * `dynamodb-lock-client` FailOpen locks with the same timing. The peer cannot cancel a waiting
 * `acquireLock`, so it runs with `retryCount: 0` and this adapter repeats the attempt until
 * `signal` aborts: the same calls as the peer's own retry loop (read, sleep the rest of the
 * holder's lease, conditional put), but stoppable between attempts.
 *
 * @example
 * ```ts
 * const peer = peerLockSide(env, { leaseMs: 10_000, heartbeatMs: 3_333 });
 * ```
 */
export function peerLockSide(env: BenchEnv, timing: LockTiming): LockSide & { locks: PeerLocks } {
  const meter = new Meter();
  const locks = env.peer(meter, { ...timing, retryCount: 0 });
  return {
    side: 'peer',
    meter,
    locks,
    acquire: async (key, signal) => {
      for (;;) {
        signal?.throwIfAborted();
        try {
          return await locks.acquire(key);
        } catch (err) {
          if ((err as { code?: string }).code !== 'FailedToAcquireLock') throw err;
        }
      }
    },
  };
}
