import type { KVPair } from '../kv-pair.js';
import { DynastoreError, ErrorCode } from './base.js';

/**
 * `atomicPut` without `previous` found a live item. `current` is that item, taken from the
 * failed write itself (no second read).
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof KeyExistsError) console.log(err.current?.version) }
 * ```
 */
export class KeyExistsError extends DynastoreError {
  readonly current: KVPair | undefined;
  constructor(message: string, current?: KVPair, options?: { cause?: unknown }) {
    super(ErrorCode.KeyExists, message, options);
    this.name = 'KeyExistsError';
    this.current = current;
  }
}

/**
 * A compare-and-swap lost: the item's version is no longer the one given. `current` is the item
 * now stored (undefined when it is gone or expired).
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof KeyModifiedError) retryWith(err.current) }
 * ```
 */
export class KeyModifiedError extends DynastoreError {
  readonly current: KVPair | undefined;
  constructor(message: string, current?: KVPair, options?: { cause?: unknown }) {
    super(ErrorCode.KeyModified, message, options);
    this.name = 'KeyModifiedError';
    this.current = current;
  }
}

/**
 * The item is absent (or expired) where the operation needs it.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof KeyNotFoundError) ... }
 * ```
 */
export class KeyNotFoundError extends DynastoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.KeyNotFound, message, options);
    this.name = 'KeyNotFoundError';
  }
}

/**
 * Bad input, refused before any network call: nothing was written. `field` names the culprit.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof ValidationError) console.error(err.field, err.message) }
 * ```
 */
export class ValidationError extends DynastoreError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(ErrorCode.Validation, `${field}: ${message}`);
    this.name = 'ValidationError';
    this.field = field;
  }
}

/**
 * A row in the table cannot be read as a dynastore item: another writer (Go, the AWS CLI, a bug)
 * left a layout attribute of the wrong type or out of range (an `expires` that is a string or
 * beyond any date, a fractional or huge `version`, a map as `payload`, a lock row whose owner is
 * not a string, ...). Only that key is affected: reads of other keys go on (`listPage` returns
 * such keys in `invalid`). Writing the key again with `put` (or deleting it) repairs it.
 *
 * @example
 * ```ts
 * try { await kv.get('a') } catch (err) {
 *   if (err instanceof InvalidItemError) console.error(err.partition, err.key, err.attribute, err.message);
 * }
 * ```
 */
export class InvalidItemError extends DynastoreError {
  readonly partition: string;
  readonly key: string;
  /** The attribute's name in the table. */
  readonly attribute: string;
  /** What is wrong with the attribute. */
  readonly reason: string;
  constructor(partition: string, key: string, attribute: string, reason: string) {
    super(
      ErrorCode.InvalidItem,
      `key "${key}" in partition "${partition}" cannot be read: attribute "${attribute}" ${reason}`,
    );
    this.name = 'InvalidItemError';
    this.partition = partition;
    this.key = key;
    this.attribute = attribute;
    this.reason = reason;
  }
}

/**
 * A DynamoDB call failed for a reason dynastore does not translate. The AWS error is `cause`;
 * `operation` is the DynamoDB operation and `retryable` says whether repeating it may help.
 * `unreachable`: nothing answered at the endpoint (connection refused, host not found, ...), so the
 * request never reached DynamoDB: certainly not applied, never `ambiguous`.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof BackendError && err.retryable) scheduleRetry() }
 * ```
 */
export class BackendError extends DynastoreError {
  readonly operation: string;
  readonly retryable: boolean;
  /** A write that may have applied: the request was sent and its answer lost (timeout, 5xx, reset). */
  readonly ambiguous: boolean;
  /** Nothing answered at the endpoint: the request never reached DynamoDB (see the class doc). */
  readonly unreachable: boolean;
  /**
   * DynamoDB refused the call for its rate (throttling: `ProvisionedThroughputExceededException`,
   * `ThrottlingException`, `RequestLimitExceeded`, a transaction cancelled with `ThrottlingError`,
   * Streams' `LimitExceededException`), after the SDK's own retries. Never applied.
   */
  readonly throttled: boolean;
  /**
   * DynamoDB's throttling reasons for a throttled call (`TableWriteKeyRangeThroughputExceeded`: one
   * partition key value is over its limit; `TableWriteProvisionedThroughputExceeded`,
   * `TableReadAccountLimitExceeded`, `TableWriteMaxOnDemandThroughputExceeded`, ... : a table
   * limit), as the answer gave them; empty when it gave none (older endpoints, DynamoDB Local) and
   * for every error that is not throttling. The message says which limit was hit.
   */
  readonly throttleReasons: readonly string[];
  constructor(
    operation: string,
    message: string,
    retryable: boolean,
    options?: {
      cause?: unknown;
      ambiguous?: boolean;
      unreachable?: boolean;
      throttled?: boolean;
      throttleReasons?: readonly string[];
    },
  ) {
    super(ErrorCode.Backend, `${operation}: ${message}`, options);
    this.name = 'BackendError';
    this.operation = operation;
    this.retryable = retryable;
    this.unreachable = options?.unreachable ?? false;
    this.ambiguous = !this.unreachable && (options?.ambiguous ?? false);
    this.throttleReasons = Object.freeze([...(options?.throttleReasons ?? [])]);
    this.throttled = (options?.throttled ?? false) || this.throttleReasons.length > 0;
  }
}

/**
 * The one retry rule above the backends: a store call is worth repeating when it failed with a
 * {@link BackendError} the backend marked `retryable` (throttling, timeouts, 5xx, network). Any
 * other error (a failed condition, a validation error, a bug) is not. How a raw DynamoDB error
 * becomes `retryable` is the DynamoDB backend's business.
 *
 * @example
 * ```ts
 * if (!isRetryable(err)) throw err;
 * ```
 */
export function isRetryable(error: unknown): boolean {
  return error instanceof BackendError && error.retryable;
}

/**
 * A write (`put`, `atomicPut`) whose outcome dynastore could not confirm: the request failed after
 * it was sent (timeout, reset, 5xx), so it may have applied; dynastore read the row back and did
 * not find its write id there: the write did not apply, or was overwritten since. Read the key
 * again. `current` is the live pair the read found (undefined when the key is absent or expired);
 * `cause` is the write's error. When reading back failed as well, the outcome is unknown:
 * `current` is undefined and `cause` is the read's error.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof AmbiguousWriteError) pair = await kv.get(key) }
 * ```
 */
export class AmbiguousWriteError extends DynastoreError {
  readonly current: KVPair | undefined;
  constructor(message: string, current?: KVPair, options?: { cause?: unknown }) {
    super(ErrorCode.AmbiguousWrite, message, options);
    this.name = 'AmbiguousWriteError';
    this.current = current;
  }
}

/**
 * The table's key schema does not match the dynastore layout: found by `createTable`, or by any
 * call that DynamoDB refused for it (the message says how the keys differ; DynamoDB's error is
 * `cause`).
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof TableMismatchError) console.error(err.message) }
 * ```
 */
export class TableMismatchError extends DynastoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.TableMismatch, message, options);
    this.name = 'TableMismatchError';
  }
}
