import type { MiddlewareAdder } from './retry-guard.js';

/**
 * One throttling reason as DynamoDB sends it (`ThrottlingReasons` on
 * `ProvisionedThroughputExceededException` and `RequestLimitExceeded`, `throttlingReasons` on
 * `ThrottlingException`): `reason` is `ResourceType + OperationType + LimitType`
 * (`TableWriteKeyRangeThroughputExceeded`), `resource` the ARN of the table or index.
 *
 * @example
 * ```ts
 * const r: ThrottleReason = { reason: 'TableWriteKeyRangeThroughputExceeded', resource: 'arn:aws:dynamodb:eu-west-1:1:table/t' };
 * ```
 */
export interface ThrottleReason {
  readonly reason: string;
  readonly resource?: string;
}

/** Error names with which DynamoDB and DynamoDB Streams refuse a call for its rate. */
const THROTTLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

interface ThrottleShape {
  name?: unknown;
  ThrottlingReasons?: unknown;
  throttlingReasons?: unknown;
  CancellationReasons?: unknown;
}

/**
 * The throttling reasons of `err` when it is a throttling answer (`[]` when the answer gave none),
 * or undefined when `err` is not throttling. A transaction cancelled because one of its items was
 * throttled (`TransactionCanceledException` with a `ThrottlingError` reason) counts, without
 * reasons (DynamoDB gives none there).
 *
 * @example
 * ```ts
 * throttleReasonsOf(err); // [{ reason: 'TableWriteKeyRangeThroughputExceeded', resource: 'arn:...' }]
 * ```
 */
export function throttleReasonsOf(err: unknown): ThrottleReason[] | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as ThrottleShape;
  const name = typeof e.name === 'string' ? e.name : '';
  if (name === 'TransactionCanceledException') {
    const codes = Array.isArray(e.CancellationReasons) ? e.CancellationReasons : [];
    return codes.some((c) => (c as { Code?: unknown })?.Code === 'ThrottlingError') ? [] : undefined;
  }
  if (!THROTTLE_NAMES.has(name)) return undefined;
  const raw = Array.isArray(e.ThrottlingReasons)
    ? e.ThrottlingReasons
    : Array.isArray(e.throttlingReasons)
      ? e.throttlingReasons
      : [];
  const reasons: ThrottleReason[] = [];
  for (const r of raw) {
    const reason = (r as { reason?: unknown })?.reason;
    const resource = (r as { resource?: unknown })?.resource;
    if (typeof reason !== 'string' || reason === '') continue;
    reasons.push(typeof resource === 'string' && resource !== '' ? { reason, resource } : { reason });
  }
  return reasons;
}

const REASON = /^(Table|Index)(Read|Write)(.+)$/;

/**
 * Says in words which limit a throttled call hit, from its reasons: a partition key value over
 * its own limit (`KeyRangeThroughputExceeded`: a hot key), provisioned capacity used up, the
 * account's per-table quota, or the table's maximum on-demand throughput.
 *
 * @example
 * ```ts
 * describeThrottle([{ reason: 'TableWriteKeyRangeThroughputExceeded' }]);
 * // 'throttled: writes to one partition key value of the table are over that key's limit (...)'
 * ```
 */
export function describeThrottle(reasons: readonly ThrottleReason[]): string {
  if (reasons.length === 0) return 'throttled (the answer named no throttling reason)';
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const r of reasons) {
    const key = `${r.reason} ${r.resource ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    parts.push(explain(r));
  }
  return `throttled: ${parts.join('; ')}`;
}

function explain(r: ThrottleReason): string {
  const m = REASON.exec(r.reason);
  const on = r.resource ? ` (${r.resource})` : '';
  if (!m) return `${r.reason}${on}`;
  const [, resource = 'Table', op = 'Write', limit = ''] = m;
  const what = resource === 'Index' ? 'an index' : 'the table';
  const ops = op === 'Read' ? 'reads' : 'writes';
  switch (limit) {
    case 'KeyRangeThroughputExceeded':
      return `${r.reason}${on}: ${ops} to one partition key value of ${what} are over that key's own limit (about ${op === 'Read' ? '3 000 reads' : '1 000 writes'} a second per key value), a hot key: spread them over more partition keys`;
    case 'ProvisionedThroughputExceeded':
      return `${r.reason}${on}: ${ops} use up the provisioned ${op.toLowerCase()} capacity of ${what}: raise it or use on-demand capacity`;
    case 'AccountLimitExceeded':
      return `${r.reason}${on}: ${ops} of ${what} reached the account's per-table throughput quota in this Region: ask AWS for a higher quota`;
    case 'MaxOnDemandThroughputExceeded':
      return `${r.reason}${on}: ${ops} of ${what} reached its configured maximum on-demand throughput: raise it`;
    default:
      return `${r.reason}${on}`;
  }
}

/**
 * What {@link traceThrottles} saw: each throttled attempt's reasons, in order (an attempt with no
 * reasons adds none), and how many attempts were throttled.
 */
export interface ThrottleTrace {
  readonly attempts: number;
  readonly reasons: readonly string[];
}

/**
 * Records the throttled attempts of one command, including those the SDK retried and that the
 * call then survived. The middleware sits inside the SDK's retry loop (like the resend guard).
 *
 * @example
 * ```ts
 * const throttles = traceThrottles(command.middlewareStack);
 * await client.send(command);
 * if (throttles.attempts > 0) console.warn('throttled', throttles.reasons);
 * ```
 */
export function traceThrottles(stack: MiddlewareAdder): ThrottleTrace {
  const trace = { attempts: 0, reasons: [] as string[] };
  stack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        const reasons = throttleReasonsOf(err);
        if (reasons) {
          trace.attempts++;
          trace.reasons.push(...reasons.map((r) => r.reason));
        }
        throw err;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'dynastoreTraceThrottles' },
  );
  return trace;
}
