import { KeyExistsError, KeyModifiedError, type KVPair, type Partition } from '../../src/index.js';
import type { ReadOutput, RegisterInput, RegisterOutput } from '../checker/model.js';

/**
 * What a read saw, as the register model records it.
 *
 * @example
 * ```ts
 * seen(await kv.get('k')); // { value: 'a', version: 3 } or { value: null, version: 0 }
 * ```
 */
export const seen = (pair: KVPair | undefined): ReadOutput =>
  pair ? { value: pair.text(), version: pair.version } : { value: null, version: 0 };

/**
 * Applies one register operation of the linearizability workloads (chaos and the simulator) to a
 * key: read, blind write, delete, or compare-and-swap against `prev` (create when absent). A lost
 * CAS is an output (`ok: false` with what the store had), not an error; other errors propagate.
 *
 * @example
 * ```ts
 * const { output, pair } = await applyRegisterOp(kv, 'r1', { f: 'cas', value: 'v2' }, prev);
 * ```
 */
export async function applyRegisterOp(
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
