import { ValidationError } from '../contract/errors/store.js';
import { decodeEvent } from './changes.js';
import { resolveStreamOptions } from './options.js';
import type { BatchResponse, DynamoDBStreamEvent, ForEachChangeOptions, StreamChange } from './types.js';

/**
 * Runs `handler` for each change of the event (as `changesFromStreamEvent` gives them), one at
 * a time in order, and returns Lambda's partial batch response: when a handler throws, the
 * response names that record's sequence number and no later record of the same stream is run,
 * so the event source mapping (with `FunctionResponseTypes: [ReportBatchItemFailures]`) retries
 * from that record, in order. A DynamoDB event source mapping batch holds the records of one
 * shard; should a batch ever mix streams (`eventSourceARN`), the records of another stream go on.
 * Each error is told to `onError` (by default logged with `console.error`).
 *
 * @example
 * ```ts
 * import { forEachChange } from 'dynastore/lambda';
 * export const handler = (event: DynamoDBStreamEvent) =>
 *   forEachChange(event, async (change) => {
 *     if (change.type === 'put') await publish(change.key, change.pair.text());
 *   }, { partition: 'jobs' });
 * ```
 */
export async function forEachChange(
  event: DynamoDBStreamEvent,
  handler: (change: StreamChange) => unknown,
  options?: ForEachChangeOptions,
): Promise<BatchResponse> {
  const { onError, ...rest } = options ?? {};
  const resolved = resolveStreamOptions('forEachChange', rest);
  if (typeof handler !== 'function') throw new ValidationError('forEachChange.handler', 'must be a function');
  if (onError !== undefined && typeof onError !== 'function')
    throw new ValidationError('forEachChange.onError', 'must be a function');
  const report = onError ?? logHandlerError;
  const failed = new Set<string | undefined>();
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const { record, change } of decodeEvent('forEachChange', event, resolved)) {
    const stream = record?.eventSourceARN;
    if (failed.has(stream) || !change) continue;
    try {
      await handler(change);
    } catch (err) {
      failed.add(stream);
      // an empty identifier makes Lambda retry the whole batch: right for a record with none
      batchItemFailures.push({ itemIdentifier: change.record.sequenceNumber ?? '' });
      report(err, change);
    }
  }
  return { batchItemFailures };
}

function logHandlerError(error: unknown, change: StreamChange): void {
  console.error(
    `dynastore forEachChange: the handler failed on ${change.partition}/${change.key} (record ${change.record.sequenceNumber ?? change.record.index}); Lambda retries from it`,
    error,
  );
}
