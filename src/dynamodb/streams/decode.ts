import type { _Record, AttributeValue } from '@aws-sdk/client-dynamodb-streams';
import type { ChangeRecord, StoredItem } from '../../contract/backend.js';
import type { AttributeNames } from '../../contract/names.js';
import { decodeItem, type RawItem } from '../codec.js';

/**
 * Whether a stream record is DynamoDB's TTL reaper removing an expired item: AWS marks those
 * with `userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' }`.
 *
 * @example
 * ```ts
 * if (isTtlRemoval(record)) console.log('expired');
 * ```
 */
export function isTtlRemoval(record: _Record): boolean {
  return (
    record.eventName === 'REMOVE' &&
    record.userIdentity?.Type === 'Service' &&
    record.userIdentity.PrincipalId === 'dynamodb.amazonaws.com'
  );
}

/**
 * Turns one DynamoDB Streams record (view type NEW_AND_OLD_IMAGES) into a {@link ChangeRecord}.
 * Returns `undefined` for a record that is not about an item (no keys).
 *
 * @example
 * ```ts
 * const change = toChangeRecord(record, defaultAttributeNames);
 * ```
 */
export function toChangeRecord(record: _Record, names: AttributeNames): ChangeRecord | undefined {
  const data = record.dynamodb;
  if (!data?.Keys) return undefined;
  const keys = decodeItem(data.Keys as RawItem, names);
  const previous = image(data.OldImage, names);
  const base = {
    partition: keys.partition,
    key: keys.key,
    ...(previous && { previous }),
  };
  if (record.eventName === 'REMOVE') {
    return { type: 'delete', ...base, cause: isTtlRemoval(record) ? 'expiry' : 'write' };
  }
  const item = image(data.NewImage, names);
  if (!item) return undefined;
  return { type: 'put', ...base, item, cause: 'write' };
}

function image(
  raw: Record<string, AttributeValue> | undefined,
  names: AttributeNames,
): StoredItem | undefined {
  return raw && Object.keys(raw).length > 0 ? decodeItem(raw as RawItem, names) : undefined;
}
