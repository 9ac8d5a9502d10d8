import { ValidationError } from './errors/store.js';
import { checkText, Limits } from './validate.js';

/** A value the store accepts: text, or bytes (stored base64, as Go dynastore does). */
export type Value = string | Uint8Array;

/** Item overhead besides names and payload: attribute names, version, expires, encoding. */
const OVERHEAD_BYTES = 64;

/**
 * Encodes a value as the `payload` string and `encoding` marker, checking the 400 KB item limit.
 *
 * @example
 * ```ts
 * encodeValue('config', 'a', new Uint8Array([1, 2])); // { payload: 'AQI=', encoding: 'base64' }
 * ```
 */
export function encodeValue(
  partition: string,
  key: string,
  value: unknown,
): { payload: string; encoding: 'base64' | null } {
  let encoded: { payload: string; encoding: 'base64' | null };
  if (typeof value === 'string') {
    checkText('value', value);
    encoded = { payload: value, encoding: null };
  } else if (value instanceof Uint8Array)
    encoded = { payload: Buffer.from(value).toString('base64'), encoding: 'base64' };
  else
    throw new ValidationError(
      'value',
      `must be a string or Uint8Array, got ${value === null ? 'null' : typeof value}`,
    );
  const size =
    Buffer.byteLength(partition, 'utf8') +
    Buffer.byteLength(key, 'utf8') +
    Buffer.byteLength(encoded.payload, 'utf8') +
    OVERHEAD_BYTES;
  if (size > Limits.itemBytes) {
    throw new ValidationError(
      'value',
      `the item would be about ${size} bytes; DynamoDB's limit is ${Limits.itemBytes} (400 KB)`,
    );
  }
  return encoded;
}
