import { FencedError } from '../../src/contract/errors/lock.js';
import type { Partition } from '../../src/facade/partition.js';
import type { Lease } from '../../src/lock/index.js';
import { between, prng } from '../util/random.js';
import { emitter, errorText, type Sink, sleep, stdoutSink, workerStore } from './common.js';
import type { SessionConfig, WorkerConfig } from './config.js';
import type { CounterValue } from './counter.js';
import { endReason, holdFor, WAITER_STREAM } from './lease.js';

/** What the lock loops of one worker share. */
interface Loop {
  readonly config: WorkerConfig;
  readonly c: SessionConfig;
  readonly emit: (ev: string, fields?: Record<string, unknown>) => void;
  readonly rand: () => number;
  /** The counters' partition. */
  readonly kv: Partition;
}

/**
 * The session workload: one session per worker process, and `slots` loops that take locks of a
 * shared pool of keys through it (`session.lock(key)`, one key per loop at a time, none another
 * loop holds), so the session holds many locks at once and dozens over time. While a loop holds a
 * lock it prints a `held` claim each time `lease.held` is true (as the lease workload does, for
 * the exclusion check per key) and increments that key's counter with `{ fence: lease }` writes
 * (as the counter workload does: `read`, `write`, then `write-ok` / `write-fenced` /
 * `write-error`). Once the session is lost (paused or cut off past its lease, taken over), every
 * loop finds its lease gone and ends; the worker closes the session and opens a new one.
 * Lock events carry the lock's `key`. Session events: `session` (opened, with its id) and
 * `session-end` (with the reason, `pending` when the worker ended it).
 *
 * @example
 * ```ts
 * await runSession(config); // until config.stopAt
 * ```
 */
export async function runSession(config: WorkerConfig, sink: Sink = stdoutSink): Promise<void> {
  const c = config.session as SessionConfig;
  const emit = emitter(config, sink);
  const rand = prng(config.seed);
  const { store, client } = workerStore(config, WAITER_STREAM);
  const loop: Loop = { config, c, emit, rand, kv: store.partition(c.partition) };
  try {
    while (Date.now() < config.stopAt) {
      let session: Awaited<ReturnType<typeof store.session>>;
      try {
        session = await store.session({
          leaseMs: c.leaseMs,
          maxClockSkewMs: c.maxClockSkewMs,
          owner: config.id,
        });
      } catch (err) {
        emit('session-error', { error: errorText(err) });
        await sleep(between(rand, 50, 200));
        continue;
      }
      emit('session', { session: session.id });
      const taken = new Set<string>();
      const lock = async () => {
        while (Date.now() < config.stopAt && session.held) {
          const free = c.keys.filter((k) => !taken.has(k));
          const key = free[Math.floor(rand() * free.length)];
          if (key === undefined) {
            await sleep(between(rand, 50, 150));
            continue;
          }
          taken.add(key);
          try {
            emit('acquire', { key });
            let lease: Lease;
            try {
              lease = await session.lock(key).acquire({ waitMs: 4 * c.leaseMs });
            } catch (err) {
              emit('acquire-error', { key, error: errorText(err) });
              await sleep(between(rand, 20, 100));
              continue;
            }
            await holdAndCount(loop, key, lease);
          } finally {
            taken.delete(key);
          }
          await sleep(between(rand, 20, 120));
        }
      };
      await Promise.all(Array.from({ length: c.slots }, lock));
      emit('session-end', { session: session.id, reason: endReason(session.signal) });
      await session.close().catch((err: unknown) => emit('close-error', { error: errorText(err) }));
    }
  } finally {
    client.destroy();
  }
}

/** Holds one lease for a while, claiming it, with fenced increments of its key's counter alongside; then releases. */
async function holdAndCount(loop: Loop, key: string, lease: Lease): Promise<void> {
  const { config, c, emit, rand } = loop;
  const token = lease.token.toString();
  emit('granted', { key, token });
  let holding = true;
  const writer = (async () => {
    while (holding && lease.held) {
      await increment(loop, key, lease);
      await sleep(between(rand, c.thinkMs[0], c.thinkMs[1]));
    }
  })();
  const holdMs = Math.min(between(rand, c.holdMs[0], c.holdMs[1]), config.stopAt - Date.now());
  const kept = await holdFor(
    () => lease.held,
    holdMs,
    c.sampleMs,
    (m) => emit('held', { key, token, m }),
  );
  holding = false;
  if (!kept) emit('lost', { key, token, reason: endReason(lease.signal) });
  await writer;
  emit('release', { key, token });
  await lease.release().catch((err: unknown) => emit('release-error', { key, token, error: errorText(err) }));
}

/** Reads the key's counter, works a while, writes it + 1 fenced by the lease (never checking `lease.held` first). */
async function increment(loop: Loop, key: string, lease: Lease): Promise<void> {
  const { config, c, emit, rand, kv } = loop;
  const token = lease.token.toString();
  let n: number;
  try {
    const pair = await kv.get(key);
    n = pair ? pair.json<CounterValue>().n : 0;
  } catch (err) {
    emit('read-error', { key, token, error: errorText(err) });
    return;
  }
  emit('read', { key, token, n });
  await sleep(between(rand, c.workMs[0], c.workMs[1]));
  const next: CounterValue = { n: n + 1, token, writer: config.id };
  emit('write', { key, token, n: next.n });
  try {
    await kv.put(key, JSON.stringify(next), { fence: lease });
    emit('write-ok', { key, token, n: next.n });
  } catch (err) {
    if (err instanceof FencedError)
      emit('write-fenced', { key, token, n: next.n, current: err.currentToken?.toString() });
    else emit('write-error', { key, token, n: next.n, error: errorText(err) });
  }
}
