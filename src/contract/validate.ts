import { ValidationError } from './errors/store.js';

/** DynamoDB limits the layout inherits. */
export const Limits = {
  partitionBytes: 2048,
  keyBytes: 1024,
  itemBytes: 400 * 1024,
} as const;

/**
 * The longest `ttlMs` a write accepts: ten years (3650 days). Longer TTLs are refused with a
 * `ValidationError`; for a value that should not expire, omit `ttlMs`.
 *
 * @example
 * ```ts
 * await kv.put('a', 'v', { ttlMs: MAX_TTL_MS });
 * ```
 */
export const MAX_TTL_MS = 3650 * 86_400_000;

/**
 * The longest `leaseMs` a lock, semaphore, election or session accepts: seven days. Longer leases
 * are refused with a `ValidationError`.
 *
 * @example
 * ```ts
 * store.lock('jobs/weekly', { leaseMs: MAX_LEASE_MS });
 * ```
 */
export const MAX_LEASE_MS = 7 * 86_400_000;

/**
 * The longest timer any duration option may ask for: Node's `setTimeout` fires at once (after
 * 1 ms, with a warning) for delays above 2^31-1 ms (24.8 days).
 *
 * @example
 * ```ts
 * checkDuration('pollMs', ms, { max: MAX_TIMER_MS });
 * ```
 */
export const MAX_TIMER_MS = 2_147_483_647;

type Resolved<T, D> = { [K in keyof D]: K extends keyof T ? Exclude<T[K], undefined> | D[K] : D[K] };

/**
 * Fills defaults into an options object and rejects names that are not options (a typo must not
 * silently do nothing). `undefined` values count as absent.
 *
 * @example
 * ```ts
 * const o = resolveOptions('lock', options, { leaseMs: 10_000, owner: undefined });
 * ```
 */
export function resolveOptions<T extends object, D extends Record<string, unknown>>(
  context: string,
  options: T | undefined,
  defaults: D,
): Resolved<T, D> {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new ValidationError(context, 'options must be an object');
  }
  const out: Record<string, unknown> = { ...defaults };
  for (const [name, value] of Object.entries(options ?? {})) {
    if (!Object.hasOwn(defaults, name)) {
      const known = Object.keys(defaults).join(', ') || 'none';
      throw new ValidationError(`${context}.${name}`, `unknown option (known: ${known})`);
    }
    if (value !== undefined) out[name] = value;
  }
  return out as Resolved<T, D>;
}

/**
 * Checks a partition or key name: a non-empty string of at most `maxBytes` UTF-8 bytes.
 *
 * @example
 * ```ts
 * checkName('key', 'a/b', Limits.keyBytes);
 * ```
 */
export function checkName(field: string, value: unknown, maxBytes: number): string {
  checkText(field, value);
  if (value.length === 0) throw new ValidationError(field, 'must not be empty');
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > maxBytes)
    throw new ValidationError(field, `is ${bytes} bytes in UTF-8; the limit is ${maxBytes}`);
  return value;
}

/**
 * Checks that a value is a string with a UTF-8 form: no lone surrogate (`'a\\udc00'`). DynamoDB
 * stores strings as UTF-8 and turns a lone surrogate into `?`, so two different strings would
 * land in one row (or one value read back as another).
 *
 * @example
 * ```ts
 * checkText('prefix', 'a/'); // ok
 * checkText('key', 'a\udc00'); // ValidationError: key: is not well-formed Unicode ...
 * ```
 */
export function checkText(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string')
    throw new ValidationError(field, `must be a string, got ${describeType(value)}`);
  if (!isWellFormed(value)) {
    const at = [...value].findIndex((c) => !isWellFormed(c));
    throw new ValidationError(
      field,
      `is not well-formed Unicode (a lone surrogate at character ${at}); it has no UTF-8 form, and DynamoDB would store it as another string`,
    );
  }
}

/**
 * Checks a boolean option (a JavaScript caller's `'yes'` or `0` is refused, not coerced).
 *
 * @example
 * ```ts
 * checkBoolean('get.consistent', true);
 * ```
 */
export function checkBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new ValidationError(field, `must be true or false, got ${describeValue(value)}`);
  return value;
}

/**
 * Checks a callback option.
 *
 * @example
 * ```ts
 * checkFunction('onCall', (e) => console.log(e));
 * ```
 */
export function checkFunction<F extends (...args: never[]) => unknown>(field: string, value: unknown): F {
  if (typeof value !== 'function')
    throw new ValidationError(field, `must be a function, got ${describeValue(value)}`);
  return value as F;
}

/**
 * Checks an `AbortSignal` option.
 *
 * @example
 * ```ts
 * checkSignal('acquire.signal', AbortSignal.timeout(1_000));
 * ```
 */
export function checkSignal(field: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal))
    throw new ValidationError(field, `must be an AbortSignal, got ${describeValue(value)}`);
  return value;
}

/**
 * Checks an object with the given methods (a client, a clock, a backend), so a wrong value fails
 * here with the field's name and not with a `TypeError` deep inside at the first call.
 *
 * @example
 * ```ts
 * checkShape('client', client, ['send'], 'a DynamoDBClient');
 * ```
 */
export function checkShape<T>(field: string, value: unknown, methods: readonly string[], what: string): T {
  const missing =
    typeof value === 'object' && value !== null
      ? methods.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function')
      : methods;
  if (missing.length > 0) {
    throw new ValidationError(
      field,
      `must be ${what}, got ${describeValue(value)}${typeof value === 'object' && value !== null ? ` (no ${missing.join(', ')} method)` : ''}`,
    );
  }
  return value as T;
}

/**
 * Whether a string has a UTF-8 form (no lone surrogate): `String.prototype.isWellFormed`
 * (Node 20+; typed here because the project's `lib` predates ES2024).
 *
 * @example
 * ```ts
 * isWellFormed('a\udc00'); // false
 * ```
 */
export function isWellFormed(value: string): boolean {
  return (value as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** `typeof`, with `null` and arrays told apart. */
function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** A short rendering of a bad value for messages. */
function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return describeType(value);
}

/**
 * Checks a duration option: a finite number > 0 (or >= 0 with `allowZero`), at most `max`.
 *
 * @example
 * ```ts
 * checkDuration('ttlMs', 60_000);
 * ```
 */
export function checkDuration(
  field: string,
  value: unknown,
  opts: { allowZero?: boolean; max?: number } = {},
): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError(field, `must be a finite number of milliseconds, got ${describeValue(value)}`);
  }
  if (value < 0 || (value === 0 && !opts.allowZero)) {
    throw new ValidationError(field, `must be ${opts.allowZero ? '>= 0' : '> 0'}, got ${value}`);
  }
  if (opts.max !== undefined && value > opts.max)
    throw new ValidationError(field, `must be at most ${opts.max}, got ${value}`);
  return value;
}

/**
 * Checks a whole number within bounds.
 *
 * @example
 * ```ts
 * checkInteger('permits', 3, { min: 1 });
 * ```
 */
export function checkInteger(field: string, value: unknown, bounds: { min: number; max?: number }): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ValidationError(field, `must be a whole number, got ${describeValue(value)}`);
  }
  if (value < bounds.min || (bounds.max !== undefined && value > bounds.max)) {
    throw new ValidationError(
      field,
      `must be between ${bounds.min} and ${bounds.max ?? 'infinity'}, got ${value}`,
    );
  }
  return value;
}
