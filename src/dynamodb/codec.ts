import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { FieldValue, StoredItem } from '../contract/backend.js';
import { decodeRow, type RawRow } from '../contract/decode-row.js';
import type { AttributeNames } from '../contract/names.js';

export { decodeField } from '../contract/decode-row.js';

/** Anything with DynamoDB's attribute-value shape (the Streams client has its own copy of the type). */
export type RawItem = Record<string, AttributeValue>;

/**
 * Turns a raw DynamoDB item (GetItem, Query, ALL_OLD, or a stream image) into a {@link StoredItem}.
 * Numbers that are integers beyond 2^53 become `bigint`. Never throws: odd attributes another
 * writer left mark the item `invalid` (see `decodeRow`).
 *
 * @example
 * ```ts
 * decodeItem({ id: { S: 'p' }, name: { S: 'k' }, version: { N: '1' } }, defaultAttributeNames);
 * ```
 */
export function decodeItem(raw: RawItem, names: AttributeNames): StoredItem {
  return decodeRow(raw as RawRow, names);
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
