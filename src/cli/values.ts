import { ValidationError } from '../index.js';
import { CliError } from './errors.js';
import { ExitCode } from './exit-codes.js';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** How durations are written, for `--help` and error messages. */
export const DURATION_SYNTAX =
  'a number of seconds (90, 2.5) or amounts with units ms, s, m, h, d, combined (500ms, 1h30m, 1d)';

/**
 * What a duration flag accepts: whether 0 is a value, and the longest duration (the library's own
 * limit for the option the flag sets, so that both say the same).
 *
 * @example
 * ```ts
 * const ttl: DurationLimits = { allowZero: false, maxMs: MAX_TTL_MS };
 * ```
 */
export interface DurationLimits {
  /** Whether `0` is accepted. @default false */
  readonly allowZero?: boolean;
  /** The longest duration. @default none (any finite duration) */
  readonly maxMs?: number;
}

/**
 * Parses a duration flag: a bare number is seconds (`90`, `2.5`); otherwise one or more amounts
 * with a unit, `ms`, `s`, `m`, `h` or `d`, as in `500ms`, `2.5s`, `1h30m`, `1d`. Returns whole
 * milliseconds. A negative, malformed, zero (unless allowed), sub-millisecond or too long
 * duration is a `ValidationError` naming the flag and quoting what was typed.
 *
 * @example
 * ```ts
 * parseDuration('--lease', '10s');                       // 10_000
 * parseDuration('--ttl', '60', { maxMs: MAX_TTL_MS });   // 60_000
 * parseDuration('--wait', '0', { allowZero: true });     // 0
 * ```
 */
export function parseDuration(flag: string, text: string, limits: DurationLimits = {}): number {
  const t = text.trim();
  const got = `got "${text}"`;
  if (t.startsWith('-') && /\d/.test(t)) throw new ValidationError(flag, `must not be negative, ${got}`);
  let exact: number;
  if (/^\d+(?:\.\d+)?$/.test(t)) exact = Number(t) * 1_000;
  else if (/^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/.test(t)) {
    exact = 0;
    for (const [, amount, unit] of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
      exact += Number(amount) * (UNITS[unit ?? 's'] ?? 1);
    }
  } else {
    throw new ValidationError(flag, `"${text}" is not a duration: write ${DURATION_SYNTAX}`);
  }
  if (limits.maxMs !== undefined && !(exact <= limits.maxMs)) {
    throw new ValidationError(flag, `must be at most ${formatDuration(limits.maxMs)}, ${got}`);
  }
  if (!(exact <= Number.MAX_SAFE_INTEGER)) throw new ValidationError(flag, `"${text}" is too long`);
  const ms = Math.round(exact);
  if (exact === 0 && !limits.allowZero) throw new ValidationError(flag, `must be more than 0, ${got}`);
  if (ms === 0 && exact > 0 && !limits.allowZero) {
    throw new ValidationError(flag, `must be at least 1ms, ${got}`);
  }
  return ms;
}

/**
 * A whole number of milliseconds in the units flags take, largest first (`3650d`, `1h30m`,
 * `1.5s`, `250ms`).
 *
 * @example
 * ```ts
 * formatDuration(5_400_000); // '1h30m'
 * formatDuration(1_500);     // '1.5s'
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let left = Math.round(ms);
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const) {
    const n = Math.floor(left / size);
    if (n > 0) out += `${n}${unit}`;
    left -= n * size;
  }
  if (left === 0) return out;
  return out === '' && left < 1_000 ? `${left}ms` : `${out}${left / 1_000}s`;
}

/**
 * Parses a whole number flag of at least `min` (and at most `max`), quoting what was typed when
 * it is out of range.
 *
 * @example
 * ```ts
 * parseCount('--if-version', '3', 1);  // 3
 * parseCount('--port', '0', 0, 65535); // 0
 * ```
 */
export function parseCount(flag: string, text: string, min: number, max?: number): number {
  const t = text.trim();
  const range = max === undefined ? `at least ${min}` : `between ${min} and ${max}`;
  if (/^-\s*\d+$/.test(t)) throw new ValidationError(flag, `must be ${range}, got ${t}`);
  if (!/^\d+$/.test(t)) throw new ValidationError(flag, `"${text}" is not a whole number`);
  const n = Number(t);
  if (n < min || (max !== undefined && n > max))
    throw new ValidationError(flag, `must be ${range}, got ${t}`);
  if (!Number.isSafeInteger(n)) throw new ValidationError(flag, `${t} is too large`);
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
 * How the CLI writes a partition and a key as one argument: `<partition>/<key>`, split at the
 * first `/`. A `/` in the partition name is written `%2F` (and `%2F` or `%25` in it as `%252F`,
 * `%2525`), so every name reads back as the partition and key it came from; the key is never
 * escaped. For `--help`.
 */
export const ADDRESS_SYNTAX =
  '<partition>/<key> splits at the first "/"; a "/" in a partition name is written %2F ' +
  '(team%2Fa/k1 is key k1 of partition team/a), or pass -p <partition> and the key alone';

/**
 * A partition and key as one argument that {@link parseAddress} reads back to the same two
 * (see {@link ADDRESS_SYNTAX}); `key` may be empty (a partition alone, for `ls`).
 *
 * @example
 * ```ts
 * formatAddress('config', 'flags/dark'); // 'config/flags/dark'
 * formatAddress('team/a', 'k1');         // 'team%2Fa/k1'
 * ```
 */
export function formatAddress(partition: string, key: string): string {
  // `%` only needs escaping where it would read as an escape: before 2F or 25.
  const escaped = partition.replace(/%(?=2F|25)/gi, '%25').replaceAll('/', '%2F');
  return key === '' ? escaped : `${escaped}/${key}`;
}

/** The partition part of an argument, its escapes (`%2F`, `%25`) undone. */
function unescapePartition(text: string): string {
  return text.replace(/%(2F|25)/gi, (_m, code: string) => (code === '25' ? '%' : '/'));
}

/**
 * Reads `<partition>/<key>` (see {@link ADDRESS_SYNTAX}): splits at the first slash (the key may
 * hold more slashes) and undoes the partition's escapes. With `-p` (`partitionFlag`), the
 * argument is the key as it is. `keyRequired: false` allows `<partition>` alone (an empty key,
 * for `ls`), and with `-p`, no argument at all.
 *
 * @example
 * ```ts
 * parseAddress('config/flags/dark', undefined, true); // { partition: 'config', key: 'flags/dark' }
 * parseAddress('team%2Fa/k1', undefined, true);       // { partition: 'team/a', key: 'k1' }
 * parseAddress('k1', 'team/a', true);                 // { partition: 'team/a', key: 'k1' }
 * ```
 */
export function parseAddress(
  arg: string | undefined,
  partitionFlag: string | undefined,
  keyRequired: boolean,
): Address {
  if (partitionFlag !== undefined) {
    if (partitionFlag === '') throw new ValidationError('--partition', 'must not be empty');
    if (keyRequired && (arg === undefined || arg === '')) {
      throw new ValidationError('key', 'missing: with -p, give the key alone');
    }
    return { partition: partitionFlag, key: arg ?? '' };
  }
  if (arg === undefined) {
    throw new CliError(ExitCode.Usage, 'missing argument: <partition>/<key>, or -p <partition>');
  }
  const slash = arg.indexOf('/');
  const partition = unescapePartition(slash < 0 ? arg : arg.slice(0, slash));
  const key = slash < 0 ? '' : arg.slice(slash + 1);
  if (partition === '')
    throw new ValidationError('address', `"${arg}" has no partition (write <partition>/<key>)`);
  if (keyRequired && key === '')
    throw new ValidationError('address', `"${arg}" has no key (write <partition>/<key>)`);
  return { partition, key };
}
