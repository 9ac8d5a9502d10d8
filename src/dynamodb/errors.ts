import { BackendError, isRetryable } from '../contract/errors/store.js';
import { describeThrottle, throttleReasonsOf } from './throttle.js';

const RETRYABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'LimitExceededException',
  'TransactionConflictException',
  'ReplicatedWriteConflictException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Codes only a connection attempt, or the name lookup before it, fails with. */
const CONNECT_ONLY_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL']);
/** System calls made before any byte of a request is sent. */
const CONNECT_SYSCALLS = new Set(['connect', 'getaddrinfo']);
/** The Node HTTP handler's own connect timeout (`requestHandler.connectionTimeout`). */
const HANDLER_CONNECT_TIMEOUT = /did not establish a connection with the server/;

const CONNECT_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed for now',
  EAI_FAIL: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection attempt timed out',
  EADDRNOTAVAIL: 'address not available',
};

interface NodeNetError {
  name?: string;
  message?: string;
  code?: string;
  syscall?: string;
  errors?: unknown[];
}

/**
 * Whether `err` failed a request before it reached DynamoDB: the connection (or the name lookup
 * before it) failed, so nothing was sent and resending is safe. `ECONNREFUSED`, `ENOTFOUND`,
 * `EAI_AGAIN`, any error of the `connect` or `getaddrinfo` system call (`EHOSTUNREACH`,
 * `ENETUNREACH`, `ETIMEDOUT` while connecting, ...), the HTTP handler's `connectionTimeout`, and a
 * Happy Eyeballs `AggregateError` made only of those. A reset, a socket hang up or a timeout after
 * the connection was made are not: the request may have been sent. A {@link BackendError} made
 * from one (`unreachable`) counts too.
 *
 * @example
 * ```ts
 * if (isConnectFailure(err)) console.error('nothing answers at the endpoint');
 * ```
 */
export function isConnectFailure(err: unknown): boolean {
  return connectReason(err) !== undefined;
}

/**
 * Why a request failed before it reached DynamoDB, in a few words with the system error code
 * (`'connection refused, ECONNREFUSED'`), or undefined when `err` is not such a failure (see
 * {@link isConnectFailure}).
 *
 * @example
 * ```ts
 * connectFailureReason(err); // 'host name not found, ENOTFOUND'
 * ```
 */
export function connectFailureReason(err: unknown): string | undefined {
  const reason = connectReason(err);
  if (reason === undefined) return undefined;
  const code = codeOf(err instanceof BackendError ? err.cause : err);
  return code === undefined ? reason : `${reason}, ${code}`;
}

function codeOf(err: unknown): string | undefined {
  const e = err as NodeNetError | undefined;
  if (typeof e?.code === 'string') return e.code;
  return Array.isArray(e?.errors) ? codeOf(e.errors[0]) : undefined;
}

function connectReason(err: unknown, depth = 0): string | undefined {
  if (typeof err !== 'object' || err === null || depth > 3) return undefined;
  if (err instanceof BackendError) {
    return err.unreachable ? (connectReason(err.cause, depth + 1) ?? 'unreachable') : undefined;
  }
  const e = err as NodeNetError;
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (Array.isArray(e.errors) && e.errors.length > 0) {
    const reasons = e.errors.map((x) => connectReason(x, depth + 1));
    if (reasons.every((r) => r !== undefined)) return reasons[0];
    return undefined;
  }
  if (code !== undefined && CONNECT_ONLY_CODES.has(code)) return CONNECT_REASONS[code];
  if (typeof e.syscall === 'string' && CONNECT_SYSCALLS.has(e.syscall)) {
    return (code !== undefined && CONNECT_REASONS[code]) || `cannot connect (${code ?? e.message})`;
  }
  if (e.name === 'TimeoutError' && HANDLER_CONNECT_TIMEOUT.test(e.message ?? '')) {
    return 'no connection within the connection timeout';
  }
  return undefined;
}

/**
 * How the DynamoDB backend classifies a raw AWS SDK error as worth repeating: throttling, 5xx,
 * timeouts and network errors. This becomes `BackendError.retryable` when {@link wrapAwsError}
 * wraps it; an error already wrapped answers with the one rule above the backends
 * ({@link isRetryable}). A retryable write may still have been applied (the answer was lost):
 * callers that must know re-read.
 *
 * @example
 * ```ts
 * if (isRetryableAwsError(err)) await sleep(backoff);
 * ```
 */
export function isRetryableAwsError(err: unknown): boolean {
  if (err instanceof BackendError) return isRetryable(err);
  if (typeof err !== 'object' || err === null) return false;
  const e = err as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  if (e.name && RETRYABLE_NAMES.has(e.name)) return true;
  if (throttleReasonsOf(err)) return true; // e.g. a transaction cancelled with ThrottlingError
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  if (e.$retryable) return true;
  if (isConnectFailure(err)) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/**
 * What a request was about, for the messages of {@link wrapAwsError}: the table (and the region
 * the client resolved, when known).
 *
 * @example
 * ```ts
 * const context: AwsErrorContext = { table: 'dynastore', region: 'eu-west-1' };
 * ```
 */
export interface AwsErrorContext {
  readonly table?: string;
  readonly region?: string;
}

/**
 * The facts and the fix for the usual setup mistakes, as the CLI's hints give them: a missing
 * table (named, with the endpoint and region it was looked for at), no region, no credentials.
 * Undefined for other errors.
 *
 * @example
 * ```ts
 * setupHint(err, 'http://127.0.0.1:8000', { table: 'jobs' }); // 'table "jobs" not found at http://...'
 * ```
 */
export function setupHint(
  err: unknown,
  endpoint: string | undefined,
  context: AwsErrorContext = {},
): string | undefined {
  const e = err as { name?: string; message?: string } | undefined;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (e?.name === 'ResourceNotFoundException' && context.table !== undefined) {
    const region = context.region === undefined ? '' : `, region ${context.region}`;
    return `table "${context.table}" not found at ${endpoint ?? 'AWS'}${region}: create it with createTable({ client, tableName }) (or \`dynastore init\`), or check tableName and the client's region and endpoint`;
  }
  if (/Region is missing/i.test(message)) {
    return "no AWS region: set the client's region option (new DynamoDBClient({ region: 'us-east-1' })) or the AWS_REGION environment variable";
  }
  if (e?.name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return "no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass the client's credentials option (DynamoDB Local accepts any non-empty pair)";
  }
  return undefined;
}

/**
 * Wraps an AWS SDK error as a {@link BackendError} (the original is `cause`). A connect failure
 * (see {@link isConnectFailure}) becomes a retryable, unambiguous, `unreachable` one whose message
 * names `endpoint` (the URL the request was for) and says nothing answers there. A missing table,
 * region or credentials get the facts and the fix in the message ({@link setupHint}); the AWS
 * error's own text stays in it.
 *
 * @example
 * ```ts
 * throw wrapAwsError('UpdateItem', err, 'http://127.0.0.1:8000', { table: 'dynastore' });
 * ```
 */
export function wrapAwsError(
  operation: string,
  err: unknown,
  endpoint?: string,
  context?: AwsErrorContext,
): BackendError {
  if (err instanceof BackendError) return err;
  const reason = connectFailureReason(err);
  if (reason !== undefined) {
    return new BackendError(
      operation,
      `nothing answers at ${endpoint ?? addressOf(err)} (${reason}): the request never reached DynamoDB`,
      true,
      { cause: err, unreachable: true },
    );
  }
  const e = err as { name?: string; message?: string };
  const hint = setupHint(err, endpoint, context);
  const throttle = throttleReasonsOf(err);
  const notes = [hint, throttle ? describeThrottle(throttle) : undefined].filter((n) => n !== undefined);
  return new BackendError(
    operation,
    `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}${notes.length === 0 ? '' : ` (${notes.join('; ')})`}`,
    isRetryableAwsError(err),
    { cause: err, ...(throttle && { throttled: true, throttleReasons: throttle.map((r) => r.reason) }) },
  );
}

/** Where a network error says it was connecting to, for when the request's URL is not known. */
function addressOf(err: unknown): string {
  const e = err as { hostname?: unknown; address?: unknown; port?: unknown; errors?: unknown[] };
  if (typeof e.hostname === 'string') return e.hostname;
  if (typeof e.address === 'string') return typeof e.port === 'number' ? `${e.address}:${e.port}` : e.address;
  const first = Array.isArray(e.errors) ? e.errors[0] : undefined;
  return first === undefined ? 'the endpoint' : addressOf(first);
}
