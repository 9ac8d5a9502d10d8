import { DynastoreError } from '../../src/errors/base.js';
import { KeyExistsError, KeyModifiedError } from '../../src/errors/store.js';
import type { KVPair } from '../../src/store/kv-pair.js';
import type { Partition } from '../../src/store/partition.js';
import type { ReadOutput, RegisterInput, RegisterOutput } from '../checker/model.js';
import { between, pick, prng } from '../util/random.js';
import { emitter, errorText, type Sink, sleep, stdoutSink, workerStore } from './common.js';
import type { KvConfig, WorkerConfig } from './config.js';

const seen = (pair: KVPair | undefined): ReadOutput =>
  pair ? { value: pair.text(), version: pair.version } : { value: null, version: 0 };

/**
 * The key/value history workload: `clients` concurrent loops of get / put / atomicPut (create, or
 * compare-and-set on the last pair this client saw) / delete on a few keys, each printed as a
 * history event (`invoke`, then `ok`, `fail` or `info`) for the linearizability checker. Reads
 * that fail are `fail` (no effect); writes that fail with anything but a condition error are
 * `info`: they may have been applied.
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
      const { output, pair } = await apply(kv, key, input, prev);
      last.set(key, pair);
      record('ok', key, { output });
    } catch (err) {
      // Reads have no effect; a write that failed with an error may still have been applied.
      record(input.f === 'read' && err instanceof DynastoreError ? 'fail' : 'info', key, {
        error: errorText(err),
      });
    }
    await sleep(between(rand, c.thinkMs[0], c.thinkMs[1]));
  }
}

async function apply(
  kv: Partition,
  key: string,
  input: RegisterInput,
  prev: KVPair | undefined,
): Promise<{ output: RegisterOutput; pair: KVPair | undefined }> {
  switch (input.f) {
    case 'read': {
      const pair = await kv.get(key);
      return { output: seen(pair), pair };
    }
    case 'write': {
      const pair = await kv.put(key, input.value);
      return { output: { version: pair.version }, pair };
    }
    case 'delete':
      await kv.delete(key);
      return { output: {}, pair: undefined };
    case 'cas':
      try {
        const pair = await kv.atomicPut(key, input.value, prev ? { previous: prev } : {});
        return { output: { ok: true, version: pair.version }, pair };
      } catch (err) {
        if (err instanceof KeyExistsError || err instanceof KeyModifiedError) {
          return { output: { ok: false, current: seen(err.current) }, pair: err.current };
        }
        throw err;
      }
  }
}
