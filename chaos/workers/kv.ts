import { DynastoreError } from '../../src/contract/errors/base.js';
import { AmbiguousWriteError, BackendError, ValidationError } from '../../src/contract/errors/store.js';
import type { KVPair } from '../../src/contract/kv-pair.js';
import type { Partition } from '../../src/facade/partition.js';
import type { RegisterInput } from '../checker/model.js';
import { between, pick, prng } from '../util/random.js';
import { emitter, errorText, type Sink, sleep, stdoutSink, workerStore } from './common.js';
import type { KvConfig, WorkerConfig } from './config.js';
import { applyRegisterOp } from './register-op.js';

/**
 * The key/value history workload: `clients` concurrent loops of get / put / atomicPut (create, or
 * compare-and-set on the last pair this client saw) / delete on a few keys, each printed as a
 * history event (`invoke`, then `ok`, `fail` or `info`) for the linearizability checker. A lost
 * compare-and-set is an `ok` with `ok: false`; other failures are classified by {@link failureOf}:
 * `fail` when the operation certainly had no effect, `info` (outcome unknown) when it may have.
 *
 * @example
 * ```ts
 * await runKv(config); // until config.stopAt
 * ```
 */
export async function runKv(config: WorkerConfig, sink: Sink = stdoutSink): Promise<void> {
  const c = config.kv as KvConfig;
  const emit = emitter(config, sink);
  const { store, client } = workerStore(config);
  const kv = store.partition(c.partition);
  try {
    await Promise.all(Array.from({ length: c.clients }, (_, i) => clientLoop(config, c, kv, i, emit)));
  } finally {
    client.destroy();
  }
}

async function clientLoop(
  config: WorkerConfig,
  c: KvConfig,
  kv: Partition,
  index: number,
  emit: (ev: string, fields?: Record<string, unknown>) => void,
): Promise<void> {
  const rand = prng(config.seed * 31 + index);
  const proc = `${config.id}.${index}`;
  const last = new Map<string, KVPair | undefined>();
  let seq = 0;
  const record = (type: string, key: string, fields: Record<string, unknown>) =>
    emit('op', { type, process: proc, key, ...fields });
  while (Date.now() < config.stopAt) {
    const key = pick(rand, c.keys);
    const r = rand();
    const value = `${proc}-${seq++}`;
    const prev = last.get(key);
    const input: RegisterInput =
      r < 0.4
        ? { f: 'read' }
        : r < 0.55
          ? { f: 'write', value }
          : r < 0.97
            ? { f: 'cas', expect: prev ? { version: prev.version } : { absent: true }, value }
            : { f: 'delete' };
    record('invoke', key, { input });
    try {
      const { output, pair } = await applyRegisterOp(kv, key, input, prev);
      last.set(key, pair);
      record('ok', key, { output });
    } catch (err) {
      const { type, why } = failureOf(input, err);
      record(type, key, { error: errorText(err), why });
    }
    await sleep(between(rand, c.thinkMs[0], c.thinkMs[1]));
  }
}

/** Why an operation's outcome is what the history says (for the summary). */
export type FailureReason = 'read' | 'refused' | 'ambiguous-write' | 'retryable' | 'backend' | 'other';

/**
 * How a failed operation is recorded. A read has no effect, whatever went wrong (`fail`); so has
 * a write refused by validation, before any network call. Every other failed write is `info`, its
 * outcome unknown: `AmbiguousWriteError` says so explicitly (the SDK retried after an error and
 * found the row changed by someone else); a retryable `BackendError` (timeout, reset, 5xx,
 * throttling) may come after an earlier SDK attempt that applied; and any other error is treated
 * the same way, to be safe (the checker only gets more freedom from an `info`).
 *
 * @example
 * ```ts
 * const { type } = failureOf({ f: 'write', value: 'v' }, err); // 'info'
 * ```
 */
export function failureOf(input: RegisterInput, err: unknown): { type: 'fail' | 'info'; why: FailureReason } {
  if (input.f === 'read') return { type: 'fail', why: 'read' };
  if (err instanceof ValidationError) return { type: 'fail', why: 'refused' };
  if (err instanceof AmbiguousWriteError) return { type: 'info', why: 'ambiguous-write' };
  if (err instanceof BackendError) return { type: 'info', why: err.retryable ? 'retryable' : 'backend' };
  return { type: 'info', why: err instanceof DynastoreError ? 'backend' : 'other' };
}
