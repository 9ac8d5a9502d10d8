import { monoNow } from '../util/clock.js';
import { between, prng } from '../util/random.js';
import { emitter, errorText, type Sink, sleep, stdoutSink, workerStore } from './common.js';
import type { LeaseConfig, WorkerConfig } from './config.js';

/** Stream polling of lock and election waiters. */
export const WAITER_STREAM = { pollIntervalMs: 500, idlePollIntervalMs: 2_000 } as const;

/**
 * Holds for `ms`, checking `held()` every `sampleMs`. Each check that finds it held is a claim,
 * handed to `claim` with the machine's monotonic time taken just *before* the check: `held()`
 * only turns false once, so the holder held at that instant. Stops early, returning false, at the
 * first check that finds it no longer held.
 *
 * @example
 * ```ts
 * const kept = await holdFor(() => lease.held, 3_000, 50, (m) => emit('held', { token, m }));
 * ```
 */
export async function holdFor(
  held: () => boolean,
  ms: number,
  sampleMs: number,
  claim: (m: number) => void,
): Promise<boolean> {
  const until = monoNow() + ms;
  for (;;) {
    const at = monoNow();
    if (!held()) return false;
    claim(at);
    if (at >= until) return true;
    await sleep(Math.min(sampleMs, until - at));
  }
}

/** Why a lease (or leadership) ended, from its `signal` (`pending`: not aborted yet, e.g. a timer not fired). */
export function endReason(signal: AbortSignal): string {
  if (!signal.aborted) return 'pending';
  return (signal.reason as { reason?: string } | undefined)?.reason ?? 'unknown';
}

/**
 * The lease workload: take the lock, hold it for a while (longer than a lease, so heartbeats
 * matter), checking `lease.held` every `sampleMs` and printing each positive check as a `held`
 * claim on the machine's monotonic clock, then release. Its clock may be skewed (within
 * `maxClockSkewMs` of the others for the exclusion check; beyond it for the control). Events:
 * `acquire`, `granted`, `held`..., then `lost` (the check found it gone) and `release`.
 *
 * @example
 * ```ts
 * await runLease(config); // until config.stopAt
 * ```
 */
export async function runLease(config: WorkerConfig, sink: Sink = stdoutSink): Promise<void> {
  const c = config.lease as LeaseConfig;
  const emit = emitter(config, sink);
  const rand = prng(config.seed);
  // The change feed only wakes waiters early (a release); expiry waits are timed. Poll it less
  // often than the default (250 ms) to spare the shared CPU.
  const { store, client } = workerStore(config, WAITER_STREAM);
  const lock = store.lock(c.lockKey, {
    leaseMs: c.leaseMs,
    maxClockSkewMs: c.maxClockSkewMs,
    owner: config.id,
  });
  try {
    while (Date.now() < config.stopAt) {
      emit('acquire');
      let lease: Awaited<ReturnType<typeof lock.acquire>>;
      try {
        lease = await lock.acquire({ waitMs: 4 * c.leaseMs });
      } catch (err) {
        emit('acquire-error', { error: errorText(err) });
        await sleep(between(rand, 20, 100));
        continue;
      }
      const token = lease.token.toString();
      emit('granted', { token });
      const holdMs = Math.min(between(rand, c.holdMs[0], c.holdMs[1]), config.stopAt - Date.now());
      const kept = await holdFor(
        () => lease.held,
        holdMs,
        c.sampleMs,
        (m) => emit('held', { token, m }),
      );
      if (!kept) emit('lost', { token, reason: endReason(lease.signal) });
      emit('release', { token });
      await lease.release().catch((err: unknown) => emit('release-error', { token, error: errorText(err) }));
      await sleep(between(rand, 20, 120));
    }
  } finally {
    client.destroy();
  }
}
