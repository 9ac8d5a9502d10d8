import type { StoredItem } from '../contract/backend.js';

/**
 * Approximate DynamoDB item size in bytes: attribute names plus values (strings as UTF-8,
 * numbers about one byte per two digits). Used for the 400 KB item limit and 1 MB query pages.
 *
 * @example
 * ```ts
 * itemSize(item) <= 400 * 1024;
 * ```
 */
export function itemSize(item: StoredItem): number {
  let size = utf8('id') + utf8(item.partition) + utf8('name') + utf8(item.key) + utf8('version') + 3;
  if (item.payload !== undefined) size += utf8('payload') + utf8(item.payload);
  if (item.encoding !== undefined) size += utf8('encoding') + utf8(item.encoding);
  if (item.expiresSec !== undefined) size += utf8('expires') + 6;
  for (const [name, value] of Object.entries(item.fields)) {
    size += utf8(name) + (typeof value === 'string' ? utf8(value) : Math.ceil(String(value).length / 2) + 1);
  }
  return size;
}

function utf8(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
