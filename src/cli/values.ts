import { ValidationError } from '../index.js';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** How durations are written, for `--help` and error messages. */
export const DURATION_SYNTAX =
  'a number of seconds (90, 2.5) or amounts with units ms, s, m, h, d, combined (500ms, 1h30m, 1d)';

/** The longest duration a flag takes: 1000 days (longer ones are surely a mistake). */
export const MAX_DURATION_MS = 1_000 * 86_400_000;

/**
 * Parses a duration flag: a bare number is seconds (`90`, `2.5`); otherwise one or more amounts
 * with a unit, `ms`, `s`, `m`, `h` or `d`, as in `500ms`, `2.5s`, `1h30m`, `1d`. Returns whole
 * milliseconds. Negative, empty or absurdly long durations are a `ValidationError` naming the flag.
 *
 * @example
 * ```ts
 * parseDuration('--lease', '10s'); // 10_000
 * parseDuration('--ttl', '60');    // 60_000
 * parseDuration('--ttl', '1h30m'); // 5_400_000
 * ```
 */
export function parseDuration(flag: string, text: string): number {
  const t = text.trim();
  if (t.startsWith('-') && /\d/.test(t)) {
    throw new ValidationError(flag, `must not be negative, got "${text}"`);
  }
  let ms: number;
  if (/^\d+(?:\.\d+)?$/.test(t)) ms = Number(t) * 1_000;
  else if (/^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/.test(t)) {
    ms = 0;
    for (const [, amount, unit] of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
      ms += Number(amount) * (UNITS[unit ?? 's'] ?? 1);
    }
  } else {
    throw new ValidationError(flag, `"${text}" is not a duration: write ${DURATION_SYNTAX}`);
  }
  if (!(ms <= MAX_DURATION_MS)) {
    throw new ValidationError(flag, `"${text}" is too long (at most 1000d)`);
  }
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
  if (/^\s*-\s*\d+\s*$/.test(text))
    throw new ValidationError(flag, `must be at least ${min}, got ${text.trim()}`);
  if (!/^\d+$/.test(text.trim())) throw new ValidationError(flag, `"${text}" is not a whole number`);
  const n = Number(text);
  if (n < min) throw new ValidationError(flag, `must be at least ${min}, got ${n}`);
  if (!Number.isSafeInteger(n)) throw new ValidationError(flag, `${text.trim()} is too large`);
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
