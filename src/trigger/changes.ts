import { ValidationError } from '../contract/errors/store.js';
import { decodeLambdaRecord } from './decode-record.js';
import { type ResolvedStreamOptions, resolveStreamOptions } from './options.js';
import type {
  DynamoDBStreamEvent,
  DynamoDBStreamRecord,
  StreamChange,
  StreamChangesOptions,
} from './types.js';

/**
 * Turns a DynamoDB Streams Lambda event into the change events `watch()` emits, one per record of
 * a key/value row, in the event's order: a `put` with the `KVPair` (partition, key, version,
 * value, expiry) or a `delete`, each with its `cause` (`write`, or `expiry` when DynamoDB's TTL
 * removed the row) and its `record` (sequence number, creation time).
 *
 * Lock, semaphore, election and session rows are skipped unless `includeCoordinationRows`.
 * A record it cannot read (an attribute another writer left odd, a stream without new images,
 * a record that is not a DynamoDB record) gives a `delete` event carrying `invalid`, as `watch()`
 * does: this function never throws on a record. It throws `ValidationError` only for bad options
 * or an event with no `Records` array. It decodes with the Streams poller's decoder and needs no
 * AWS SDK (import it from `dynastore/lambda` to load nothing else).
 *
 * Each event reports that record alone: a put of an item whose `expires` has already passed is
 * a `put` (see `pair.expiresAt`), not the delete a running `watch()` would report.
 *
 * @example
 * ```ts
 * import { changesFromStreamEvent } from 'dynastore/lambda';
 * export const handler = async (event: DynamoDBStreamEvent) => {
 *   for (const change of changesFromStreamEvent(event, { partition: 'config' })) {
 *     if (change.type === 'put') console.log(change.key, '=', change.pair.text());
 *     else if (change.invalid) console.error(change.invalid.message);
 *     else console.log(change.key, 'deleted', change.cause);
 *   }
 * };
 * ```
 */
export function changesFromStreamEvent(
  event: DynamoDBStreamEvent,
  options?: StreamChangesOptions,
): StreamChange[] {
  const resolved = resolveStreamOptions('changesFromStreamEvent', options);
  const out: StreamChange[] = [];
  for (const { change } of decodeEvent('changesFromStreamEvent', event, resolved))
    if (change) out.push(change);
  return out;
}

/**
 * Each record of the event with its change (`undefined`: filtered out by the options).
 *
 * @example
 * ```ts
 * for (const { record, change } of decodeEvent('forEachChange', event, resolved)) console.log(record.eventID, change?.key);
 * ```
 */
export function decodeEvent(
  context: string,
  event: DynamoDBStreamEvent,
  options: ResolvedStreamOptions,
): { record: DynamoDBStreamRecord; change: StreamChange | undefined }[] {
  const records = (event as { Records?: unknown } | null | undefined)?.Records;
  if (typeof event !== 'object' || event === null || !Array.isArray(records))
    throw new ValidationError(`${context}.event`, 'is not a DynamoDB Streams event: it has no Records array');
  return (records as DynamoDBStreamRecord[]).map((record, index) => ({
    record,
    change: decodeLambdaRecord(record, index, options),
  }));
}
