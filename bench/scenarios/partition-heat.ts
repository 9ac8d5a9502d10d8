import type {
  Backend,
  ChangeFeed,
  ChangeRecord,
  DeleteInput,
  QueryInput,
  StoredItem,
  TransactItem,
  WriteInput,
} from '../../src/contract/backend.js';
import { defaultAttributeNames } from '../../src/contract/names.js';
import { DynamoBackend } from '../../src/dynamodb/backend.js';
import { Dynastore, type Lease } from '../../src/index.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { startDelayProxy } from '../delay-proxy.js';
import type { BenchEnv } from '../env.js';
import type { Profile } from '../profile.js';
import type { ScenarioResult } from '../results.js';
import { sleep } from '../sleep.js';
import { round } from '../stats.js';

/** AWS: write units one partition key value serves per second. */
const AWS_KEY_WRITE_UNITS = 1_000;
/**
 * The proxy's limit per partition key value, scaled down 25 times so that DynamoDB Local on two
 * cores can reach it: the one-key load below (about 150 writes a second) stands for about 3 700 a
 * second on AWS, the renewals of 10 000 locks at default leases.
 */
const KEY_WRITE_UNITS = 40;
const STORES = 4;
/** Locks each store holds with per-lock leases through the window. */
const HELD_PER_STORE = 20;
/** Acquire-and-release cycles each store runs per second, on keys drawn from a pool. */
const CYCLES_PER_SECOND = 8;
const POOL = 200;
const TIMING = { leaseMs: 3_000, heartbeatMs: 1_000, maxClockSkewMs: 500 };

interface Heat {
  readonly throttledPerMinute: number;
  readonly hottestKeyWritesPerSec: number;
  readonly hottestKey: string;
  readonly writesPerSec: number;
  readonly leasesLost: number;
  readonly cyclesPerSec: number;
  readonly cycleErrors: number;
  readonly windowSeconds: number;
}

/**
 * `partition heat` (issue 18): the per-partition-key write limit of DynamoDB, put in front of
 * DynamoDB Local by the delay proxy (a token bucket per `id` value, {@link KEY_WRITE_UNITS} units a
 * second; the excess answered HTTP 400 `ProvisionedThroughputExceededException` with
 * `ThrottlingReasons: TableWriteKeyRangeThroughputExceeded`). {@link STORES} stores (each its own
 * client, as separate processes) each hold {@link HELD_PER_STORE} locks with per-lock leases and
 * take and release others at {@link CYCLES_PER_SECOND} a second. Run twice: once with every lock
 * row under one partition key (`_locks`, the old layout, reproduced exactly by a backend that
 * moves each row `(_lock/<key>, <key>)` to `(_locks, <key>)`), once with the default layout (a
 * partition key per lock). Throttled answers and the writes of the hottest key are counted at the
 * proxy over the window.
 *
 * @example
 * ```ts
 * const row = await partitionHeat(env, profile);
 * ```
 */
export async function partitionHeat(env: BenchEnv, profile: Profile): Promise<ScenarioResult> {
  const windowMs = profile.mode === 'full' ? 30_000 : 15_000;
  const oneKey = await heat(env, windowMs, true);
  const perLock = await heat(env, windowMs, false);
  const goalMet = perLock.throttledPerMinute === 0 && oneKey.throttledPerMinute > 0;
  return {
    name: 'partition heat',
    op: `${STORES} stores, each holding ${HELD_PER_STORE} locks and taking ${CYCLES_PER_SECOND} others a second`,
    settings: `leaseMs ${TIMING.leaseMs}, heartbeatMs ${TIMING.heartbeatMs}; ${KEY_WRITE_UNITS} write units/s per partition key (AWS: ${AWS_KEY_WRITE_UNITS}, scaled down ${AWS_KEY_WRITE_UNITS / KEY_WRITE_UNITS}x); one key (old layout) vs a key per lock, one after the other`,
    network: `loopback through the delay proxy, ${KEY_WRITE_UNITS} write units/s per partition key`,
    ours: {
      opsPerSec: round(perLock.cyclesPerSec),
      p50Ms: null,
      p99Ms: null,
      callsPerOp: 0,
      wcuPerOp: 0,
      rcuPerOp: 0,
      extra: {
        throttledPerMinute: round(perLock.throttledPerMinute),
        singleKeyThrottledPerMinute: round(oneKey.throttledPerMinute),
        hottestKeyWritesPerSec: round(perLock.hottestKeyWritesPerSec),
        singleKeyHottestKeyWritesPerSec: round(oneKey.hottestKeyWritesPerSec),
        writesPerSec: round(perLock.writesPerSec),
        singleKeyWritesPerSec: round(oneKey.writesPerSec),
        leasesLost: perLock.leasesLost,
        singleKeyLeasesLost: oneKey.leasesLost,
        cyclesPerSec: round(perLock.cyclesPerSec),
        singleKeyCyclesPerSec: round(oneKey.cyclesPerSec),
        cycleErrors: perLock.cycleErrors,
        singleKeyCycleErrors: oneKey.cycleErrors,
        keyWriteUnitsPerSec: KEY_WRITE_UNITS,
        windowSeconds: perLock.windowSeconds,
      },
    },
    peer: null,
    goal: '0 throttled with a partition key per lock, at a load where one key throttles',
    goalMet,
    note: `one key: the old layout's placement (every lock row under ${JSON.stringify(oneKey.hottestKey)}); a key per lock: the hottest key was ${JSON.stringify(perLock.hottestKey)}. Throttled = answers refused by the proxy's key limit (the SDK retries them: a refusal is not a failed call); writes counted at the proxy over ${perLock.windowSeconds} s after every store took its locks. Stores run in one Node process, each with its own client. No peer (its table has one row per lock already)`,
  };
}

async function heat(env: BenchEnv, windowMs: number, oneKey: boolean): Promise<Heat> {
  const proxy = await startDelayProxy(env.localPort, {
    rttMs: 0,
    keyWriteLimit: { writeUnitsPerSecond: KEY_WRITE_UNITS },
  });
  const limiter = proxy.keyWriteLimit;
  if (!limiter) throw new Error('unreachable: the proxy has a key limit');
  const run = `${oneKey ? 'one' : 'per'}-${Date.now().toString(36)}`;
  const clients = Array.from({ length: STORES }, () => localDynamoClient(proxy.endpoint));
  const stores = clients.map((client) => {
    const backend = new DynamoBackend({ client, tableName: env.ourTable, names: defaultAttributeNames });
    return new Dynastore({ backend: oneKey ? new OneKeyLayout(backend) : backend });
  });
  const held: Lease[] = [];
  let stop = false;
  let cycles = 0;
  let cycleErrors = 0;
  try {
    for (const [s, store] of stores.entries()) {
      for (let i = 0; i < HELD_PER_STORE; i++)
        held.push(await store.lock(`heat/${run}/held/${s}/${i}`, TIMING).acquire({ waitMs: 30_000 }));
    }
    const loops = stores.map(async (store) => {
      const every = 1_000 / CYCLES_PER_SECOND;
      let next = performance.now();
      while (!stop) {
        const key = `heat/${run}/pool/${Math.floor(Math.random() * POOL)}`;
        try {
          const lease = await store.lock(key, TIMING).tryAcquire();
          await lease?.release();
          cycles++;
        } catch {
          cycleErrors++;
        }
        next += every;
        await sleep(Math.max(0, next - performance.now()));
      }
    });
    await sleep(1_000); // the cycles reach their pace
    limiter.resetCounts();
    const cyclesBefore = cycles;
    const errorsBefore = cycleErrors;
    const t0 = performance.now();
    await sleep(windowMs);
    const seconds = (performance.now() - t0) / 1_000;
    const refused = Object.values(limiter.refused).reduce((a, b) => a + b, 0);
    const served = Object.entries(limiter.served).sort((a, b) => b[1] - a[1]);
    const writes = served.reduce((a, [, n]) => a + n, 0);
    const result: Heat = {
      throttledPerMinute: (refused * 60) / seconds,
      hottestKeyWritesPerSec: (served[0]?.[1] ?? 0) / seconds,
      hottestKey: served[0]?.[0] ?? '',
      writesPerSec: writes / seconds,
      leasesLost: held.filter((l) => l.signal.aborted).length,
      cyclesPerSec: (cycles - cyclesBefore) / seconds,
      cycleErrors: cycleErrors - errorsBefore,
      windowSeconds: round(seconds),
    };
    stop = true;
    await Promise.all(loops);
    return result;
  } finally {
    stop = true;
    await Promise.all(held.map((l) => l.release().catch(() => undefined)));
    for (const c of clients) c.destroy();
    await proxy.stop();
  }
}

const PER_LOCK = '_lock/';
const ONE_KEY = '_locks';

/**
 * The old row layout, reproduced on the new code: every lock row `(_lock/<key>, <key>)` is stored
 * at `(_locks, <key>)` (the same sort key), so the requests on the wire are the old layout's.
 * Rows read back and change records are moved back, so the lock code sees its own layout.
 */
class OneKeyLayout implements Backend {
  readonly kind = 'dynamodb';
  readonly #inner: Backend;
  constructor(inner: Backend) {
    this.#inner = inner;
  }
  get(partition: string, key: string, options?: { consistent?: boolean }) {
    return this.#inner.get(to(partition), key, options).then(back);
  }
  async write(input: WriteInput) {
    const r = await this.#inner.write({ ...input, partition: to(input.partition) });
    return r.ok
      ? { ok: true as const, item: back(r.item) as StoredItem }
      : { ...r, current: back(r.current) };
  }
  async delete(input: DeleteInput) {
    const r = await this.#inner.delete({ ...input, partition: to(input.partition) });
    return r.ok
      ? { ok: true as const, previous: back(r.previous) }
      : { ok: false as const, current: back(r.current) };
  }
  async query(input: QueryInput) {
    if (input.partition.startsWith(PER_LOCK)) throw new Error('OneKeyLayout: no queries of lock rows');
    return this.#inner.query(input);
  }
  async transact(items: readonly TransactItem[]) {
    const r = await this.#inner.transact(items.map((i) => ({ ...i, partition: to(i.partition) })));
    return r.ok ? r : { ...r, current: r.current.map(back) };
  }
  changes(): ChangeFeed {
    const feed = this.#inner.changes();
    return {
      subscribe: (onChanges, onError, onHealth) =>
        feed.subscribe(
          (changes) =>
            onChanges(
              changes.map(
                (c): ChangeRecord => ({
                  ...c,
                  partition: c.partition === ONE_KEY ? `${PER_LOCK}${c.key}` : c.partition,
                  ...(c.item && { item: back(c.item) }),
                  ...(c.previous && { previous: back(c.previous) }),
                }),
              ),
            ),
          onError,
          onHealth,
        ),
    };
  }
}

function to(partition: string): string {
  return partition.startsWith(PER_LOCK) ? ONE_KEY : partition;
}

function back(item: StoredItem | undefined): StoredItem | undefined {
  return item && item.partition === ONE_KEY ? { ...item, partition: `${PER_LOCK}${item.key}` } : item;
}
