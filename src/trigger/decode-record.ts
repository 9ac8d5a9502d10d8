import type { StoredItem } from '../contract/backend.js';
import { type RawAttributeValue, type RawRow, typeName } from '../contract/decode-row.js';
import { InvalidItemError } from '../contract/errors/store.js';
import { invalidItemError, toPair } from '../contract/kv-pair.js';
import { isCoordinationRow } from '../contract/row-kind.js';
import { changeFromStream, isTtlService } from '../contract/stream-change.js';
import type { ResolvedStreamOptions } from './options.js';
import type { DynamoDBStreamRecord, StreamChange, StreamRecordInfo } from './types.js';

/**
 * Decodes one record of a Lambda stream event into a {@link StreamChange}, or `undefined` when
 * the options filter it out (another partition or prefix, a coordination row). Never throws: a
 * record it cannot read gives a delete event carrying `invalid` (an `InvalidItemError` naming
 * what is wrong), as `watch()` reports a row another writer left odd.
 *
 * @example
 * ```ts
 * const change = decodeLambdaRecord(event.Records[0], 0, resolveStreamOptions('x', {}));
 * ```
 */
export function decodeLambdaRecord(
  record: DynamoDBStreamRecord,
  index: number,
  options: ResolvedStreamOptions,
): StreamChange | undefined {
  const info = recordInfo(record, index);
  try {
    return decode(record, info, options);
  } catch (err) {
    // a record shaped so oddly that decoding broke: reported, never thrown
    return unreadable(info, 'record', `could not be decoded (${(err as Error)?.message ?? String(err)})`);
  }
}

function decode(
  record: DynamoDBStreamRecord,
  info: StreamRecordInfo,
  options: ResolvedStreamOptions,
): StreamChange | undefined {
  if (typeof record !== 'object' || record === null) return unreadable(info, 'record', 'is not an object');
  const data: DynamoDBStreamRecord['dynamodb'] = isObject(record.dynamodb) ? record.dynamodb : undefined;
  const keys = rawRow(data?.Keys);
  if (!keys) return unreadable(info, 'dynamodb.Keys', 'is missing: the record is not about an item');
  const { eventName } = record;
  if (eventName !== 'INSERT' && eventName !== 'MODIFY' && eventName !== 'REMOVE')
    return unreadable(info, 'eventName', `is ${JSON.stringify(eventName)}, not INSERT, MODIFY or REMOVE`);
  const change = changeFromStream(
    {
      eventName,
      keys,
      oldImage: rawRow(data?.OldImage),
      newImage: rawRow(data?.NewImage),
      ttlRemoval: isTtlService(record.userIdentity?.type, record.userIdentity?.principalId),
    },
    options.names,
  );
  const { partition, prefix, names } = options;
  const keyRow = change?.item ?? change?.previous;
  const at = change ?? { partition: keys[names.partition]?.S ?? '', key: keys[names.key]?.S ?? '' };
  const keysReadable = typeof keys[names.partition]?.S === 'string' && typeof keys[names.key]?.S === 'string';
  // a row whose keys are readable but outside the filter is skipped; unreadable keys are reported
  if (keysReadable && partition !== undefined && at.partition !== partition) return undefined;
  if (keysReadable && prefix !== undefined && !at.key.startsWith(prefix)) return undefined;
  const coordination =
    (change?.item !== undefined && isCoordinationRow(change.item)) ||
    (change?.previous !== undefined && isCoordinationRow(change.previous));
  if (coordination && !options.includeCoordinationRows) return undefined;
  const extras = { record: info, coordination, fields: keyRow?.fields ?? {} };

  if (!change) {
    // a put without its new image: the stream's view type is not NEW_AND_OLD_IMAGES (or NEW_IMAGE)
    return {
      type: 'delete',
      partition: at.partition,
      key: at.key,
      cause: 'write',
      invalid: new InvalidItemError(
        at.partition,
        at.key,
        'dynamodb.NewImage',
        `is missing from an ${eventName} record (stream view type ${JSON.stringify(data?.StreamViewType)}: use NEW_AND_OLD_IMAGES)`,
      ),
      ...extras,
    };
  }
  const previous = readable(change.previous);
  const keyError = keysError(change.item ?? change.previous, keys, at, names);
  if (change.type === 'delete') {
    return {
      type: 'delete',
      partition: change.partition,
      key: change.key,
      ...(previous && { previous: toPair(previous) }),
      cause: change.cause,
      ...(keyError && { invalid: keyError }),
      ...extras,
    };
  }
  const item = change.item as StoredItem;
  const invalid = keyError ?? invalidItemError(item);
  if (invalid) {
    return {
      type: 'delete',
      partition: change.partition,
      key: change.key,
      ...(previous && { previous: toPair(previous) }),
      cause: 'write',
      invalid,
      ...extras,
    };
  }
  return {
    type: 'put',
    partition: change.partition,
    key: change.key,
    pair: toPair(item),
    ...(previous && { previous: toPair(previous) }),
    cause: 'write',
    ...extras,
  };
}

function keysError(
  row: StoredItem | undefined,
  keys: RawRow,
  at: { partition: string; key: string },
  names: ResolvedStreamOptions['names'],
): InvalidItemError | undefined {
  const bad = typeof keys[names.partition]?.S !== 'string' ? names.partition : names.key;
  if (typeof keys[bad]?.S === 'string') return undefined;
  const invalid = row?.invalid;
  if (invalid && (invalid.logical === 'partition' || invalid.logical === 'key')) return invalidItemError(row);
  return new InvalidItemError(
    at.partition,
    at.key,
    bad,
    `is ${typeName(keys[bad])} in dynamodb.Keys, not a string (not a dynastore table, or other attributeNames)`,
  );
}

function readable(item: StoredItem | undefined): StoredItem | undefined {
  return item && !item.invalid ? item : undefined;
}

function unreadable(info: StreamRecordInfo, attribute: string, reason: string): StreamChange {
  return {
    type: 'delete',
    partition: '',
    key: '',
    cause: 'write',
    invalid: new InvalidItemError('', '', attribute, `of stream record ${info.index} ${reason}`),
    record: info,
    coordination: false,
    fields: {},
  };
}

function recordInfo(record: DynamoDBStreamRecord, index: number): StreamRecordInfo {
  if (!isObject(record)) return { index };
  const data: DynamoDBStreamRecord['dynamodb'] = isObject(record.dynamodb) ? record.dynamodb : undefined;
  // untrusted: only a number (as Lambda sends it) or a numeric string; anything else (an object
  // whose toString throws, say) is no creation time, never an exception
  const raw: unknown = data?.ApproximateCreationDateTime;
  const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : Number.NaN;
  return {
    index,
    ...(typeof record.eventID === 'string' && { eventID: record.eventID }),
    ...(typeof data?.SequenceNumber === 'string' && { sequenceNumber: data.SequenceNumber }),
    ...(typeof record.eventSourceARN === 'string' && { eventSourceARN: record.eventSourceARN }),
    ...(data?.ApproximateCreationDateTime !== undefined &&
      Number.isFinite(seconds) && { createdAt: new Date(seconds * 1000) }),
  };
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A Lambda image (binary as base64 text) in the wire shape the shared decoder reads. */
function rawRow(image: unknown): RawRow | undefined {
  if (!isObject(image)) return undefined;
  const row: Record<string, RawAttributeValue> = {};
  for (const [name, value] of Object.entries(image)) row[name] = rawValue(value);
  return row;
}

function rawValue(value: unknown): RawAttributeValue {
  // anything that is not an attribute value becomes one of no known type, which the decoder
  // reports by name instead of failing on it
  if (!isObject(value)) return {};
  const v = value as Record<string, unknown>;
  if (v.B !== undefined) return { B: bytes(v.B) };
  if (Array.isArray(v.BS)) return { BS: v.BS.map(bytes) };
  if (isObject(v.M)) {
    const m: Record<string, RawAttributeValue> = {};
    for (const [k, x] of Object.entries(v.M)) m[k] = rawValue(x);
    return { M: m };
  }
  if (Array.isArray(v.L)) return { L: v.L.map(rawValue) };
  return v as RawAttributeValue;
}

function bytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  const buf = Buffer.from(typeof value === 'string' ? value : '', 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
