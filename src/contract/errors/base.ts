/**
 * Stable error codes a caller can match on (`err.code === ErrorCode.KeyExists`).
 *
 * @example
 * ```ts
 * try { await kv.atomicPut('a', 'v') } catch (err) {
 *   if (err instanceof DynastoreError && err.code === ErrorCode.KeyExists) { ... }
 * }
 * ```
 */
export const ErrorCode = {
  KeyExists: 'KEY_EXISTS',
  KeyModified: 'KEY_MODIFIED',
  KeyNotFound: 'KEY_NOT_FOUND',
  AmbiguousWrite: 'AMBIGUOUS_WRITE',
  Validation: 'VALIDATION',
  InvalidItem: 'INVALID_ITEM',
  Backend: 'BACKEND',
  TableMismatch: 'TABLE_MISMATCH',
  LockTimeout: 'LOCK_TIMEOUT',
  LeaseLost: 'LEASE_LOST',
  Fenced: 'FENCED',
  WatchCompacted: 'WATCH_COMPACTED',
  StreamDisabled: 'STREAM_DISABLED',
  LocalDynamo: 'LOCAL_DYNAMO',
  LegacyLayout: 'LEGACY_LAYOUT',
  GlobalTable: 'GLOBAL_TABLE',
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCodeName = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Base class of every error dynastore throws. Subclasses set `name` and a stable `code`,
 * and pass the underlying error as `cause`.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof DynastoreError) console.error(err.code, err.message) }
 * ```
 */
export class DynastoreError extends Error {
  readonly code: ErrorCodeName;

  constructor(code: ErrorCodeName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DynastoreError';
    this.code = code;
  }
}
