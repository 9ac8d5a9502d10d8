import { ValidationError } from '../errors/store.js';

/** DynamoDB limits the layout inherits. */
export const Limits = {
  partitionBytes: 2048,
  keyBytes: 1024,
  itemBytes: 400 * 1024,
} as const;

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
  if (typeof value !== 'string') throw new ValidationError(field, `must be a string, got ${typeof value}`);
  if (value.length === 0) throw new ValidationError(field, 'must not be empty');
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > maxBytes)
    throw new ValidationError(field, `is ${bytes} bytes in UTF-8; the limit is ${maxBytes}`);
  return value;
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
    throw new ValidationError(field, `must be a finite number of milliseconds, got ${String(value)}`);
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
    throw new ValidationError(field, `must be a whole number, got ${String(value)}`);
  }
  if (value < bounds.min || (bounds.max !== undefined && value > bounds.max)) {
    throw new ValidationError(
      field,
      `must be between ${bounds.min} and ${bounds.max ?? 'infinity'}, got ${value}`,
    );
  }
  return value;
}
