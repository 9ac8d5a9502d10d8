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
 * `--prefix`: the tenant prefix of a lock's, semaphore's or election's row (`<prefix>_lock/<key>`).
 *
 * @example
 * ```ts
 * const options = { prefix: prefixOption };
 * ```
 */
export const prefixOption: OptionSpec = {
  type: 'string',
  valueName: 'prefix',
  description:
    "the row's prefix (a tenant's, as its IAM dynamodb:LeadingKeys allows); every process must pass the same",
};

/**
 * The `prefix` lock option from `--prefix`, when given.
 *
 * @example
 * ```ts
 * store.lock(key, { ...prefixFrom(values) });
 * ```
 */
export function prefixFrom(values: Record<string, string | boolean | undefined>): { prefix?: string } {
  const prefix = str(values.prefix);
  return prefix === undefined ? {} : { prefix };
}

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
