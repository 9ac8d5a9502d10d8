import { FencedError } from '../../src/contract/errors/lock.js';
import { between, prng } from '../util/random.js';
import { emitter, errorText, type Sink, sleep, stdoutSink, workerStore } from './common.js';
import type { CounterConfig, WorkerConfig } from './config.js';

/** The counter's stored value. */
export interface CounterValue {
  readonly n: number;
  /** Fencing token of the lease the write was made under. */
  readonly token: string;
  readonly writer: string;
}

/**
 * The counter workload: take the lock, read the counter, "work" a while, write counter + 1 (fenced
 * with the lease, or not in the control run), release. It never checks `lease.signal` before
 * writing: the write itself is what the fence must stop. Every step is printed for the checker:
 * `acquire`, `granted`, `read`, `write` (invoke), then `write-ok` / `write-fenced` / `write-error`.
 *
 * @example
 * ```ts
 * await runCounter(config); // until config.stopAt
 * ```
 */
export async function runCounter(config: WorkerConfig, sink: Sink = stdoutSink): Promise<void> {
  const c = config.counter as CounterConfig;
  const emit = emitter(config, sink);
  const rand = prng(config.seed);
  const { store, client } = workerStore(config);
  const kv = store.partition(c.partition);
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
      try {
        const pair = await kv.get(c.counterKey);
        const current = pair ? pair.json<CounterValue>().n : 0;
        emit('read', { token, n: current, version: pair?.version ?? 0 });
        await sleep(between(rand, c.workMs[0], c.workMs[1]));
        const next: CounterValue = { n: current + 1, token, writer: config.id };
        emit('write', { token, n: next.n });
        try {
          await kv.put(c.counterKey, JSON.stringify(next), c.fenced ? { fence: lease } : {});
          emit('write-ok', { token, n: next.n });
        } catch (err) {
          if (err instanceof FencedError)
            emit('write-fenced', { token, n: next.n, current: err.currentToken?.toString() });
          else emit('write-error', { token, n: next.n, error: errorText(err) });
        }
      } catch (err) {
        emit('read-error', { token, error: errorText(err) });
      } finally {
        const lost = lease.signal.aborted ? (lease.signal.reason as { reason?: string })?.reason : undefined;
        emit('release', { token, ...(lost && { lost }) });
        await lease
          .release()
          .catch((err: unknown) => emit('release-error', { token, error: errorText(err) }));
      }
      await sleep(between(rand, 20, 120));
    }
  } finally {
    client.destroy();
  }
}
