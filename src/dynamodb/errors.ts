import { BackendError } from '../errors/store.js';

const RETRYABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'LimitExceededException',
  'TransactionConflictException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * Whether repeating a failed AWS call may succeed: throttling, 5xx, timeouts and network errors.
 * A retryable write may still have been applied (the answer was lost): callers that must know
 * re-read.
 *
 * @example
 * ```ts
 * if (isRetryable(err)) await sleep(backoff);
 * ```
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof BackendError) return err.retryable;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  if (e.name && RETRYABLE_NAMES.has(e.name)) return true;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/**
 * Wraps an AWS SDK error as a {@link BackendError} (the original is `cause`).
 *
 * @example
 * ```ts
 * throw wrapAwsError('UpdateItem', err);
 * ```
 */
export function wrapAwsError(operation: string, err: unknown): BackendError {
  if (err instanceof BackendError) return err;
  const e = err as { name?: string; message?: string };
  return new BackendError(
    operation,
    `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`,
    isRetryable(err),
    { cause: err },
  );
}
