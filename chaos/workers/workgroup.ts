import { FencedError } from '../../src/contract/errors/lock.js';
import type { Partition } from '../../src/facade/partition.js';
import type { ShardLease } from '../../src/workgroup/index.js';
import { between, prng } from '../util/random.js';
import { emitter, errorText, type Sink, sleep, stdoutSink, workerStore } from './common.js';
import type { WorkerConfig, WorkGroupConfig } from './config.js';
import type { CounterValue } from './counter.js';
import { endReason, holdFor, WAITER_STREAM } from './lease.js';

/**
 * The work-group workload: each worker process joins one work group with a session (its id: the
 * worker's), and works the shards it is given: while it holds a shard it prints a `held` claim
 * each time the shard's work may go on (`lease.signal` not aborted and the lease held), for the
 * exclusion check per shard, and increments the shard's counter (`shard-<n>`) with writes fenced by
 * the shard's lease (`fenced: false`, the control: plain writes). Paused past its lease or
 * killed by the nemesis, a worker's session is lost (or its process gone); the worker then leaves
 * what it can and joins again with a new session. Events carry the shard's counter key as `key`.
 *
 * @example
 * ```ts
 * await runWorkGroup(config); // until config.stopAt
 * ```
 */
export async function runWorkGroup(config: WorkerConfig, sink: Sink = stdoutSink): Promise<void> {
  const c = config.workgroup as WorkGroupConfig;
  const emit = emitter(config, sink);
  const rand = prng(config.seed);
  const { store, client } = workerStore(config, WAITER_STREAM);
  const kv = store.partition(c.partition);
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
      try {
        const member = await store.workGroup(c.group, { shards: c.shards }).join(session, {
          id: config.id,
          onShard: (shard, lease) => work(kv, c, config, emit, rand, shard, lease),
        });
        emit('joined');
        const stop = Math.max(0, config.stopAt - Date.now());
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, stop);
          member.signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
        await member.leave().catch((err: unknown) => emit('member-end', { error: errorText(err) }));
      } catch (err) {
        emit('join-error', { error: errorText(err) });
      }
      emit('session-end', { session: session.id, reason: endReason(session.signal) });
      await session.close().catch((err: unknown) => emit('close-error', { error: errorText(err) }));
      await sleep(between(rand, 20, 200));
    }
  } finally {
    client.destroy();
  }
}

/** One shard's work while this member holds it: claims, and counter increments. */
async function work(
  kv: Partition,
  c: WorkGroupConfig,
  config: WorkerConfig,
  emit: (ev: string, fields?: Record<string, unknown>) => void,
  rand: () => number,
  shard: number,
  lease: ShardLease,
): Promise<void> {
  const key = `shard-${shard}`;
  const token = lease.token.toString();
  emit('granted', { key, token });
  const may = () => !lease.signal.aborted && lease.lease.held;
  const writer = (async () => {
    while (may()) {
      await increment(kv, c, config, emit, rand, key, lease);
      await sleep(between(rand, c.thinkMs[0], c.thinkMs[1]));
    }
  })();
  const kept = await holdFor(may, Math.max(0, config.stopAt - Date.now()), c.sampleMs, (m) =>
    emit('held', { key, token, m }),
  );
  if (!kept) emit('lost', { key, token, reason: endReason(lease.signal) });
  await writer;
  emit('release', { key, token });
}

/** Reads the shard's counter, works a while, writes it + 1 (fenced by the shard's lease, unless the control). */
async function increment(
  kv: Partition,
  c: WorkGroupConfig,
  config: WorkerConfig,
  emit: (ev: string, fields?: Record<string, unknown>) => void,
  rand: () => number,
  key: string,
  lease: ShardLease,
): Promise<void> {
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
    await kv.put(key, JSON.stringify(next), c.fenced ? { fence: lease.lease } : undefined);
    emit('write-ok', { key, token, n: next.n });
  } catch (err) {
    if (err instanceof FencedError)
      emit('write-fenced', { key, token, n: next.n, current: err.currentToken?.toString() });
    else emit('write-error', { key, token, n: next.n, error: errorText(err) });
  }
}
