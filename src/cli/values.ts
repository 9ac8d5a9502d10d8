import { ValidationError } from '../errors/store.js';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration flag: `1500` or `1500ms`, `10s`, `1.5m`, `2h`. Returns milliseconds.
 *
 * @example
 * ```ts
 * parseDuration('--lease', '10s'); // 10_000
 * ```
 */
export function parseDuration(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new ValidationError(flag, `"${text}" is not a duration (e.g. 500ms, 10s, 2m)`);
  const ms = Number(match[1]) * (UNITS[match[2] ?? 'ms'] ?? 1);
  return Math.round(ms);
}

/**
 * Parses a whole number flag of at least `min`.
 *
 * @example
 * ```ts
 * parseCount('--if-version', '3', 1); // 3
 * ```
 */
export function parseCount(flag: string, text: string, min: number): number {
  if (!/^\d+$/.test(text.trim())) throw new ValidationError(flag, `"${text}" is not a whole number`);
  const n = Number(text);
  if (n < min) throw new ValidationError(flag, `must be at least ${min}, got ${n}`);
  return n;
}

/**
 * A partition and a key (or key prefix) named on the command line.
 *
 * @example
 * ```ts
 * const { partition, key }: Address = parseAddress('config/a', undefined, true);
 * ```
 */
export interface Address {
  readonly partition: string;
  readonly key: string;
}

/**
 * Splits `<partition>/<key>` at the first slash (the key may hold more slashes). With
 * `--partition`, the whole argument is the key. `keyRequired: false` allows `<partition>` alone
 * (an empty key, for `ls`).
 *
 * @example
 * ```ts
 * parseAddress('config/flags/dark', undefined, true); // { partition: 'config', key: 'flags/dark' }
 * parseAddress('flags/dark', 'config', true);         // { partition: 'config', key: 'flags/dark' }
 * ```
 */
export function parseAddress(arg: string, partitionFlag: string | undefined, keyRequired: boolean): Address {
  if (partitionFlag !== undefined) {
    if (partitionFlag === '') throw new ValidationError('--partition', 'must not be empty');
    if (keyRequired && arg === '') throw new ValidationError('key', 'must not be empty');
    return { partition: partitionFlag, key: arg };
  }
  const slash = arg.indexOf('/');
  const partition = slash < 0 ? arg : arg.slice(0, slash);
  const key = slash < 0 ? '' : arg.slice(slash + 1);
  if (partition === '')
    throw new ValidationError('address', `"${arg}" has no partition (write <partition>/<key>)`);
  if (keyRequired && key === '')
    throw new ValidationError('address', `"${arg}" has no key (write <partition>/<key>)`);
  return { partition, key };
}
