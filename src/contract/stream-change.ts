import type { ChangeRecord, StoredItem } from './backend.js';
import { decodeRow, type RawRow } from './decode-row.js';
import type { AttributeNames } from './names.js';

/**
 * One stream record as both readers of DynamoDB Streams see it, whatever carried it: the
 * Streams poller (the `GetRecords` API, `src/dynamodb/streams`) and a Lambda trigger (the event
 * source mapping's JSON, `src/trigger`). Each adapts its own shape to this one and
 * {@link changeFromStream} decodes it, so there is one way to read a record.
 *
 * @example
 * ```ts
 * const view: StreamRecordView = { eventName: 'REMOVE', keys, oldImage, newImage: undefined, ttlRemoval: true };
 * ```
 */
export interface StreamRecordView {
  /** `INSERT`, `MODIFY` or `REMOVE`. */
  readonly eventName: string | undefined;
  readonly keys: RawRow | undefined;
  readonly oldImage: RawRow | undefined;
  readonly newImage: RawRow | undefined;
  /** DynamoDB's TTL reaper removed the row (see {@link isTtlService}). */
  readonly ttlRemoval: boolean;
}

/**
 * Whether a record's user identity is DynamoDB's TTL service: AWS marks the deletes of its TTL
 * reaper with `{ type: 'Service', principalId: 'dynamodb.amazonaws.com' }` (`Type`/`PrincipalId`
 * in the Streams API, `type`/`principalId` in a Lambda event).
 *
 * @example
 * ```ts
 * isTtlService('Service', 'dynamodb.amazonaws.com'); // true
 * ```
 */
export function isTtlService(type: unknown, principalId: unknown): boolean {
  return type === 'Service' && principalId === 'dynamodb.amazonaws.com';
}

/**
 * Turns one stream record (view type NEW_AND_OLD_IMAGES) into a {@link ChangeRecord}. Returns
 * `undefined` for a record that is not about an item (no keys), or a put without its new image.
 * Never throws: an odd row decodes with `invalid` set (see `decodeRow`).
 *
 * @example
 * ```ts
 * const change = changeFromStream(view, defaultAttributeNames);
 * if (change?.type === 'delete' && change.cause === 'expiry') console.log(change.key, 'expired');
 * ```
 */
export function changeFromStream(view: StreamRecordView, names: AttributeNames): ChangeRecord | undefined {
  if (!view.keys) return undefined;
  const keys = decodeRow(view.keys, names);
  const previous = image(view.oldImage, names);
  const base = {
    partition: keys.partition,
    key: keys.key,
    ...(previous && { previous }),
  };
  if (view.eventName === 'REMOVE') {
    return { type: 'delete', ...base, cause: view.ttlRemoval ? 'expiry' : 'write' };
  }
  const item = image(view.newImage, names);
  if (!item) return undefined;
  return { type: 'put', ...base, item, cause: 'write' };
}

function image(raw: RawRow | undefined, names: AttributeNames): StoredItem | undefined {
  return raw && Object.keys(raw).length > 0 ? decodeRow(raw, names) : undefined;
}
