import type { Subscription } from 'rxjs';
import type { BenchEnv } from '../env.js';
import { diffTotals, Meter } from '../meter.js';
import type { Profile } from '../profile.js';
import type { ScenarioResult } from '../results.js';
import { sleep } from '../sleep.js';
import { quantile, round } from '../stats.js';

const SUBSCRIBERS = 10_000;
const GOAL_READS = 10;
const GOAL_SETUP_MS = 1_000;
const TIMEOUT_MS = 120_000;

interface Round {
  /** From the first subscribe call until the last subscriber has its snapshot event. */
  readonly setupMs: number;
  /** The synchronous part: the 10 000 `subscribe()` calls themselves. */
  readonly subscribeMs: number;
  /** Snapshot reads (GetItem and Query calls) made during setup, from `onCall`. */
  readonly snapshotReads: number;
  /** One later put: from its first delivery to a subscriber until the last one has it. */
  readonly dispatchMs: number;
  /** From the first subscribe call until the poller was positioned (its last GetShardIterator answered). */
  readonly positionedMs: number;
  /** From the first subscribe call until the (last) snapshot read answered. */
  readonly readMs: number;
}

/**
 * `watch fan-out setup`: 10 000 `watch()` subscriptions to one key, made at once (one synchronous
 * loop) on a store whose Streams poller is not running yet, so setup includes starting it. Timed
 * until every subscriber has its snapshot event; snapshot reads counted with `onCall`. Then one
 * put, timed from its first delivery to the last (the cost of handing one change to 10 000
 * listeners). Several rounds, each on a fresh store; median and worst reported.
 *
 * @example
 * ```ts
 * const row = await watchFanout(env, profile);
 * ```
 */
export async function watchFanout(env: BenchEnv, profile: Profile): Promise<ScenarioResult> {
  const rounds: Round[] = [];
  const count = profile.mode === 'full' ? 5 : 3;
  for (let i = 0; i < count; i++) rounds.push(await oneRound(env, `r${i}`));
  const setupMs = median(rounds.map((r) => r.setupMs));
  const reads = Math.max(...rounds.map((r) => r.snapshotReads));
  return {
    name: 'watch fan-out setup',
    op: `${SUBSCRIBERS.toLocaleString('en-US')} subscribers to one key subscribe at once`,
    settings: `${SUBSCRIBERS} kv.watch(key) subscriptions in one synchronous loop on a fresh store (its Streams poller starts with them); default poller settings; ${count} rounds`,
    ours: {
      opsPerSec: null,
      p50Ms: null,
      p99Ms: null,
      callsPerOp: round(reads),
      wcuPerOp: 0,
      rcuPerOp: 0,
      extra: {
        setupMs: round(setupMs),
        setupMsWorst: round(Math.max(...rounds.map((r) => r.setupMs))),
        subscribeMs: round(median(rounds.map((r) => r.subscribeMs))),
        positionedMs: round(median(rounds.map((r) => r.positionedMs))),
        readMs: round(median(rounds.map((r) => r.readMs))),
        snapshotReads: reads,
        dispatchMs: round(median(rounds.map((r) => r.dispatchMs))),
      },
    },
    peer: null,
    goal: `at most ${GOAL_READS} snapshot reads and setup within ${GOAL_SETUP_MS / 1000} s`,
    goalMet: reads <= GOAL_READS && setupMs <= GOAL_SETUP_MS,
    note: 'setupMs (median of the rounds) runs from the first subscribe call until every subscriber has its snapshot event and includes starting the poller; snapshotReads is the most any round made (onCall); subscribeMs: the 10 000 subscribe() calls themselves; positionedMs / readMs: until the poller was positioned / the snapshot read answered; dispatchMs: one change handed to every subscriber, first to last; peer: no watch API',
  };
}

async function oneRound(env: BenchEnv, tag: string): Promise<Round> {
  const meter = new Meter();
  const store = env.ours(meter);
  const kv = store.partition('bench-watch-fanout');
  const key = `k-${tag}`;
  await env.ours(new Meter()).partition('bench-watch-fanout').put(key, 'v0');
  const subs: Subscription[] = [];
  let failed: unknown;
  let snapshots = 0;
  let lastSnapshotAt = 0;
  let changes = 0;
  let firstChangeAt = 0;
  let lastChangeAt = 0;
  const before = meter.snapshot();
  let positionedAt = 0;
  let readAt = 0;
  const stopListening = meter.listen((call, at) => {
    if (call.operation === 'GetShardIterator') positionedAt = at;
    else if (call.operation === 'GetItem') readAt = at;
  });
  try {
    const t0 = performance.now();
    for (let i = 0; i < SUBSCRIBERS; i++) {
      subs.push(
        kv.watch(key).subscribe({
          next: (event) => {
            const at = performance.now();
            if (event.cause === 'snapshot') {
              if (++snapshots === SUBSCRIBERS) lastSnapshotAt = at;
            } else if (event.cause === 'write') {
              if (++changes === 1) firstChangeAt = at;
              if (changes === SUBSCRIBERS) lastChangeAt = at;
            }
          },
          error: (err: unknown) => {
            failed ??= err;
          },
        }),
      );
    }
    const subscribeMs = performance.now() - t0;
    await until(() => snapshots === SUBSCRIBERS || failed !== undefined, 'every snapshot');
    if (failed) throw failed;
    const setupMs = lastSnapshotAt - t0;
    const snapshotReads = diffTotals(meter.snapshot(), before).reads;
    const positionedMs = positionedAt - t0;
    const readMs = readAt - t0;
    await env.ours(new Meter()).partition('bench-watch-fanout').put(key, 'v1');
    await until(() => changes === SUBSCRIBERS || failed !== undefined, 'the change at every subscriber');
    if (failed) throw failed;
    return {
      setupMs,
      subscribeMs,
      snapshotReads,
      dispatchMs: lastChangeAt - firstChangeAt,
      positionedMs,
      readMs,
    };
  } finally {
    stopListening();
    for (const s of subs) s.unsubscribe();
    const feed = store.backend.changes() as { idle?: () => Promise<void> };
    await sleep(2_500); // the poller lingers 2 s after its last subscriber
    await feed.idle?.();
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + TIMEOUT_MS;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${TIMEOUT_MS} ms waiting for ${what}`);
    await sleep(5);
  }
}

function median(samples: readonly number[]): number {
  return quantile(
    [...samples].sort((a, b) => a - b),
    0.5,
  );
}
