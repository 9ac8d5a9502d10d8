import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { FieldValue, StoredItem } from '../backend/types.js';
import type { AttributeNames } from './names.js';

/** Anything with DynamoDB's attribute-value shape (the Streams client has its own copy of the type). */
export type RawItem = Record<string, AttributeValue>;

/**
 * Turns a raw DynamoDB item (GetItem, Query, ALL_OLD, or a stream image) into a {@link StoredItem}.
 * Numbers that are integers beyond 2^53 become `bigint`.
 *
 * @example
 * ```ts
 * decodeItem({ id: { S: 'p' }, name: { S: 'k' }, version: { N: '1' } }, defaultAttributeNames);
 * ```
 */
export function decodeItem(raw: RawItem, names: AttributeNames): StoredItem {
  const fields: Record<string, FieldValue> = {};
  let partition = '';
  let key = '';
  let version = 0;
  let payload: string | undefined;
  let encoding: string | undefined;
  let expiresSec: number | undefined;
  for (const [name, value] of Object.entries(raw)) {
    if (name === names.partition) partition = value.S ?? '';
    else if (name === names.key) key = value.S ?? '';
    else if (name === names.version) version = Number(value.N ?? 0);
    else if (name === names.payload)
      payload = value.S ?? (value.B ? Buffer.from(value.B).toString('base64') : undefined);
    else if (name === names.encoding) encoding = value.S;
    else if (name === names.expires) expiresSec = value.N === undefined ? undefined : Number(value.N);
    else {
      const decoded = decodeField(value);
      if (decoded !== undefined) fields[name] = decoded;
    }
  }
  const item: StoredItem = { partition, key, version, fields };
  return {
    ...item,
    ...(payload !== undefined && { payload }),
    ...(encoding !== undefined && { encoding }),
    ...(expiresSec !== undefined && { expiresSec }),
  };
}

/** Decodes a scalar attribute; maps, lists and sets are not fields dynastore writes. */
export function decodeField(value: AttributeValue): FieldValue | undefined {
  if (value.S !== undefined) return value.S;
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.N !== undefined) return decodeNumber(value.N);
  return undefined;
}

function decodeNumber(text: string): number | bigint {
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  return Number(text);
}

/**
 * Encodes a field value as a DynamoDB attribute value.
 *
 * @example
 * ```ts
 * encodeField(42n); // { N: '42' }
 * ```
 */
export function encodeField(value: FieldValue): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'boolean') return { BOOL: value };
  return { N: String(value) };
}
