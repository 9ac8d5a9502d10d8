import { KVPair } from '../../index.js';
import type { OptionSpec } from '../spec.js';

/**
 * `-p, --partition`: the partition by its name as it is (any name, slashes included); the
 * argument is then the key alone.
 *
 * @example
 * ```ts
 * const options = { partition: partitionOption };
 * ```
 */
export const partitionOption: OptionSpec = {
  type: 'string',
  short: 'p',
  valueName: 'name',
  description: 'the partition, named as it is ("/" included); the argument is then the key alone',
};

/**
 * A string option's value, or undefined (booleans never reach here: parseArgs types them).
 *
 * @example
 * ```ts
 * const table = str(values.table);
 * ```
 */
export function str(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * A stand-in pair carrying only a version, for compare-and-swap by version number.
 *
 * @example
 * ```ts
 * await kv.atomicDelete('a', versionPair('cfg', 'a', 3));
 * ```
 */
export function versionPair(partition: string, key: string, version: number) {
  return new KVPair({ partition, key, version, fields: {} });
}
