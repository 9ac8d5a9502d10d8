import type { CallEvent } from '../contract/backend.js';
import { BackendError } from '../contract/errors/store.js';

/** Error names with which DynamoDB and DynamoDB Streams refuse a call for its rate. */
const THROTTLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

/**
 * The throttling reasons of a reported call, one entry per throttled answer and reason
 * (`unspecified` for an answer that named none), or `undefined` when the call was not throttled.
 *
 * Taken from the call's `throttleReasons` when the backend reports them (they include the
 * attempts the SDK retried); otherwise read here from the failed call's AWS error: DynamoDB's
 * `ThrottlingReasons` (`throttlingReasons` on `ThrottlingException`), which sees only throttling
 * that outlasted the SDK's retries.
 *
 * @example
 * ```ts
 * throttleReasonsOfCall({ operation: 'UpdateItem', table: 't', durationMs: 3, error }); // ['TableWriteKeyRangeThroughputExceeded']
 * ```
 */
export function throttleReasonsOfCall(call: CallEvent): string[] | undefined {
  const reported = (call as { throttleReasons?: unknown }).throttleReasons;
  if (Array.isArray(reported)) return reported.length > 0 ? reported.map(String) : ['unspecified'];
  const aws = call.error instanceof BackendError ? call.error.cause : call.error;
  const e = aws as { name?: unknown; ThrottlingReasons?: unknown; throttlingReasons?: unknown } | null;
  if (typeof e !== 'object' || e === null || typeof e.name !== 'string' || !THROTTLE_NAMES.has(e.name))
    return undefined;
  const raw = Array.isArray(e.ThrottlingReasons)
    ? e.ThrottlingReasons
    : Array.isArray(e.throttlingReasons)
      ? e.throttlingReasons
      : [];
  const reasons = raw
    .map((r) => (r as { reason?: unknown })?.reason)
    .filter((r): r is string => typeof r === 'string' && r !== '');
  return reasons.length > 0 ? reasons : ['unspecified'];
}
