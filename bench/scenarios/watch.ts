import type { Subscription } from 'rxjs';
import type { BenchEnv } from '../env.js';
import { diffTotals, Meter } from '../meter.js';
import type { Profile } from '../profile.js';
import { type ScenarioResult, sideResult } from '../results.js';
import { sleep, waitUntil } from '../sleep.js';
import { round } from '../stats.js';

const SUBSCRIBER_COUNTS = [1, 100, 10_000] as const;
const WATCHED_KEYS = 1_000;
const WRITES_PER_SECOND = 2;
const LINGER_WAIT_MS = 3_000;
const SUBSCRIBE_BATCH = 40;

/**
 * `watch latency` (write -> event delivered, p50/p99) and the Streams poller's calls per minute
 * with 1, 100 and 10 000 subscribers in one process. dynastore only: the peer has no watch.
 *
 * @example
 * ```ts
 * const rows = await watchScenarios(env, profile);
 * ```
 */
export async function watchScenarios(env: BenchEnv, profile: Profile): Promise<ScenarioResult[]> {
  const rows = [await latency(env, profile)];
  for (const n of SUBSCRIBER_COUNTS) {
    await sleep(LINGER_WAIT_MS); // the previous poller lingers, then stops
    rows.push(await pollerCost(env, profile, n));
  }
  const first = rows[1]?.ours?.callsPerOp;
  const last = rows.at(-1)?.ours?.callsPerOp;
  const flat = first !== undefined && last !== undefined ? last <= first * 1.25 + 5 : null;
  for (const row of rows.slice(1)) Object.assign(row, { goalMet: flat });
  return rows;
}

async function latency(env: BenchEnv, profile: Profile): Promise<ScenarioResult> {
  const meter = new Meter();
  const kv = env.ours(meter).partition('bench-watch');
  const key = 'latency';
  await kv.put(key, 'v-1');
  const waiting = new Map<string, (at: number) => void>();
  let snapshot = false;
  const sub = kv.watch(key).subscribe({
    next: (event) => {
      const at = performance.now();
      if (event.cause === 'snapshot') snapshot = true;
      else if (event.type === 'put') waiting.get(event.pair.text())?.(at);
    },
  });
  const samples: number[] = [];
  try {
    await waitUntil(() => snapshot, 30_000, 'the watch snapshot');
    const before = meter.snapshot();
    for (let i = 0; i < profile.watchEvents; i++) {
      await sleep(Math.random() * 1_000);
      const value = `v${i}`;
      const delivered = new Promise<number>((resolve) => waiting.set(value, resolve));
      const t0 = performance.now();
      await kv.put(key, value);
      const at = await withTimeout(delivered, 30_000, `the event of write ${i}`);
      waiting.delete(value);
      samples.push(at - t0);
    }
    const spent = diffTotals(meter.snapshot(), before);
    const ours = sideResult(
      { latencies: samples, busyMs: 0, ops: samples.length, calls: spent },
      { throughput: false, extra: { streamCallsPerEvent: spent.streamCalls / Math.max(1, samples.length) } },
    );
    return {
      name: 'watch latency',
      op: 'one put -> its event delivered to a watcher',
      settings: 'one watcher; puts one at a time, 0-1000 ms apart (random); default poller settings',
      ours,
      peer: null,
      goal: 'every write delivered, in order (latency is bounded by the poll interval)',
      goalMet: samples.length === profile.watchEvents,
      note: 'peer: no watch API; calls/op include the put itself',
    };
  } finally {
    sub.unsubscribe();
  }
}

async function pollerCost(env: BenchEnv, profile: Profile, subscribers: number): Promise<ScenarioResult> {
  const meter = new Meter();
  const kv = env.ours(meter).partition('bench-watch-many');
  const writer = env.ours(new Meter()).partition('bench-watch-many');
  const keys = Math.min(subscribers, WATCHED_KEYS);
  const subs: Subscription[] = [];
  let ready = 0;
  let delivered = 0;
  let failed: unknown;
  const setupStart = performance.now();
  const setupBefore = meter.snapshot();
  try {
    // Subscribe in batches, each waiting for its snapshots: a process gains watchers over time,
    // and 10 000 snapshot reads at once would only measure the HTTP client's queue.
    for (let i = 0; i < subscribers; i++) {
      let first = true;
      subs.push(
        kv.watch(`k/${i % keys}`).subscribe({
          next: (event) => {
            if (first) {
              first = false;
              ready++;
            } else if (event.cause === 'write') delivered++;
          },
          error: (err: unknown) => {
            failed = err;
          },
        }),
      );
      if ((i + 1) % SUBSCRIBE_BATCH === 0 || i + 1 === subscribers) {
        const want = i + 1;
        await waitUntil(() => ready === want || failed !== undefined, 120_000, `${want} watch snapshots`, 10);
      }
    }
    if (failed) throw failed;
    const setupMs = performance.now() - setupStart;
    const setup = diffTotals(meter.snapshot(), setupBefore);
    const before = meter.snapshot();
    const start = performance.now();
    let writes = 0;
    while (performance.now() - start < profile.pollerWindowMs) {
      await writer.put(`k/${Math.floor(Math.random() * keys)}`, `w${writes++}`);
      await sleep(1_000 / WRITES_PER_SECOND);
    }
    await sleep(1_500); // let the last writes arrive before counting deliveries
    const elapsedMin = (performance.now() - start) / 60_000;
    const spent = diffTotals(meter.snapshot(), before);
    const perMin = (op: string) => (spent.byOperation[op] ?? 0) / elapsedMin;
    const expected = writes * (subscribers / keys);
    return {
      name: `watch poller, ${subscribers.toLocaleString('en-US')} subscriber${subscribers === 1 ? '' : 's'}`,
      op: 'one minute of watching',
      settings: `${subscribers} watch() subscriptions on ${keys} keys in one process; ${WRITES_PER_SECOND} puts/s to watched keys from another store`,
      ours: {
        opsPerSec: null,
        p50Ms: null,
        p99Ms: null,
        callsPerOp: round(spent.calls / elapsedMin),
        wcuPerOp: round((spent.wcu + spent.estimatedWcu) / elapsedMin),
        rcuPerOp: round(spent.rcu / elapsedMin),
        extra: {
          getRecordsPerMin: round(perMin('GetRecords')),
          describeStreamPerMin: round(perMin('DescribeStream')),
          getShardIteratorPerMin: round(perMin('GetShardIterator')),
          snapshotReads: setup.reads,
          setupSeconds: round(setupMs / 1000),
          deliveredShare: round(expected > 0 ? delivered / expected : 1),
        },
      },
      peer: null,
      goal: 'Streams calls per minute flat in the number of subscribers',
      note: 'calls counted over the window after every snapshot arrived; the snapshot reads (one consistent GetItem per subscription here: each batch waits for its snapshots before the next subscribes) are listed apart',
    };
  } finally {
    for (const s of subs) s.unsubscribe();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
