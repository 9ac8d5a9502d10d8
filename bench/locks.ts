import type { BenchEnv } from './env.js';
import { Meter } from './meter.js';
import type { PeerLocks } from './peer/client.js';
import type { SideName } from './results.js';
import { sleep } from './sleep.js';

/** A held lock, whichever library granted it. */
export interface BenchLease {
  /** The fencing token (the peer's FailClosed locks have none: 0). */
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

/** Which of the peer's clients a side runs, and the side's name in the results. */
export interface PeerVariant {
  readonly side: SideName;
  readonly mode?: 'failOpen' | 'failClosed';
  readonly trustLocalTime?: boolean;
}

/** The peer's clients the scenarios compare with. */
export const PEER_VARIANTS = {
  /** FailOpen (leases, heartbeats), `trustLocalTime: true`: its fastest waiting. */
  failOpen: { side: 'peer', mode: 'failOpen', trustLocalTime: true },
  /** FailOpen with `trustLocalTime` at its default (false): a waiter sleeps a whole lease from its read. */
  failOpenDefault: { side: 'peerDefault', mode: 'failOpen', trustLocalTime: false },
  /** FailClosed: no lease, no heartbeat; the row stays until released. */
  failClosed: { side: 'peerFailClosed', mode: 'failClosed' },
} as const satisfies Record<string, PeerVariant>;

/**
 * `dynamodb-lock-client` locks with the same timing (FailOpen with `trustLocalTime` unless
 * `variant` says otherwise). The peer cannot cancel a waiting `acquireLock`, so it runs with
 * `retryCount: 0` and this adapter repeats the attempt until `signal` aborts: the same calls as
 * the peer's own retry loop (read, sleep the rest of the holder's lease, conditional put; or for
 * FailClosed, a put every `acquirePeriodMs`), but stoppable between attempts.
 *
 * @example
 * ```ts
 * const peer = peerLockSide(env, { leaseMs: 10_000, heartbeatMs: 3_333 });
 * ```
 */
export function peerLockSide(
  env: BenchEnv,
  timing: LockTiming,
  variant: PeerVariant = PEER_VARIANTS.failOpen,
): LockSide & { locks: PeerLocks } {
  const meter = new Meter();
  const failClosed = variant.mode === 'failClosed';
  const locks = env.peer(meter, {
    ...timing,
    retryCount: 0,
    ...(variant.mode && { mode: variant.mode }),
    ...(variant.trustLocalTime !== undefined && { trustLocalTime: variant.trustLocalTime }),
  });
  const periodMs = Math.max(1, Math.round(timing.leaseMs / 20));
  return {
    side: variant.side,
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
        // FailClosed with retryCount 0 gives up at once: wait its acquirePeriodMs, as its own loop does.
        if (failClosed) await sleep(periodMs, signal);
      }
    },
  };
}
