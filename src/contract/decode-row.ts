import type { FieldValue, InvalidAttribute, StoredItem } from './backend.js';
import type { AttributeNames } from './names.js';

/**
 * A DynamoDB attribute value in its wire shape (`{ S: 'x' }`, `{ N: '1' }`, `{ M: {...} }`, ...),
 * as GetItem, Query, stream images and PutItem use it. Declared here so the memory backend can
 * take raw rows without depending on the AWS SDK.
 *
 * @example
 * ```ts
 * const expires: RawAttributeValue = { N: '1700000000' };
 * ```
 */
export interface RawAttributeValue {
  readonly S?: string;
  readonly N?: string;
  readonly B?: Uint8Array;
  readonly BOOL?: boolean;
  readonly NULL?: boolean;
  readonly M?: Readonly<Record<string, RawAttributeValue>>;
  readonly L?: readonly RawAttributeValue[];
  readonly SS?: readonly string[];
  readonly NS?: readonly string[];
  readonly BS?: readonly Uint8Array[];
}

/**
 * A raw row: attribute name to wire value.
 *
 * @example
 * ```ts
 * const row: RawRow = { id: { S: 'config' }, name: { S: 'a' }, version: { N: '1' }, payload: { S: 'on' } };
 * ```
 */
export type RawRow = Readonly<Record<string, RawAttributeValue>>;

/** Latest epoch second a JavaScript `Date` can hold (8.64e15 ms). */
const MAX_DATE_SEC = 8.64e12;

/**
 * Turns a raw row (written by dynastore, Go, the AWS CLI or a bug) into a {@link StoredItem}.
 * Never throws: a layout attribute it cannot read marks the item `invalid` (the first one found),
 * and the rest of the row is still decoded, so one odd row never breaks a read of other keys.
 *
 * - `version`: a whole number up to 2^53-1 (absent: 0); anything else is invalid.
 * - `payload`: a string; binary (`B`) is taken as bytes; `NULL` as absent; other types invalid.
 * - `encoding`: a number equal to `version` marks `payload` as base64 bytes (dynastore writes the
 *   version it wrote the bytes at); any other number is a marker left behind by someone else's
 *   later write, so it no longer applies. dynastore 0.1 wrote the string `base64`: honoured only
 *   while `payload` is canonical base64 text. Other values are invalid.
 * - `expires`: epoch seconds. Any past number means expired. A future one beyond what a `Date`
 *   holds, or a non-number (which DynamoDB's TTL ignores: the row would never expire), is
 *   invalid; `NULL` counts as absent.
 * - Other attributes: strings, numbers (large integers as `bigint`) and booleans go to `fields`;
 *   other types are listed in `opaque`.
 *
 * @example
 * ```ts
 * decodeRow({ id: { S: 'p' }, name: { S: 'k' }, version: { N: '1' }, expires: { S: 'soon' } }, defaultAttributeNames).invalid;
 * // { logical: 'expires', attribute: 'expires', reason: 'is a string (S), ...' }
 * ```
 */
export function decodeRow(raw: RawRow, names: AttributeNames): StoredItem {
  const fields: Record<string, FieldValue> = {};
  const opaque: string[] = [];
  let invalid: InvalidAttribute | undefined;
  const bad = (logical: InvalidAttribute['logical'], reason: string) => {
    invalid ??= { logical, attribute: names[logical], reason };
  };
  const partition = raw[names.partition]?.S;
  if (partition === undefined) bad('partition', `is ${typeName(raw[names.partition])}, not a string`);
  const key = raw[names.key]?.S;
  if (key === undefined) bad('key', `is ${typeName(raw[names.key])}, not a string`);

  let version = 0;
  const v = raw[names.version];
  if (v !== undefined && !v.NULL) {
    const n = v.N === undefined ? Number.NaN : Number(v.N);
    if (Number.isSafeInteger(n)) version = n;
    else
      bad(
        'version',
        v.N === undefined ? `is ${typeName(v)}, not a number` : `is ${v.N}, not a whole number up to 2^53-1`,
      );
  }

  let payload: string | undefined;
  let binary = false;
  const p = raw[names.payload];
  if (p?.S !== undefined) payload = p.S;
  else if (p?.B !== undefined) {
    payload = Buffer.from(p.B).toString('base64');
    binary = true;
  } else if (p !== undefined && !p.NULL) bad('payload', `is ${typeName(p)}, not a string`);

  let base64 = binary;
  const e = raw[names.encoding];
  if (e?.N !== undefined) base64 ||= Number(e.N) === version && invalid?.logical !== 'version';
  else if (e?.S === 'base64') base64 ||= payload !== undefined && isCanonicalBase64(payload);
  else if (e !== undefined && !e.NULL)
    bad('encoding', `is ${e.S !== undefined ? JSON.stringify(e.S) : typeName(e)}, not a dynastore marker`);

  let expiresSec: number | undefined;
  const x = raw[names.expires];
  if (x?.N !== undefined) {
    const n = Number(x.N);
    if (Number.isNaN(n)) bad('expires', `is ${x.N}, not a number`);
    else {
      // kept for liveness and conditions (it is in the future), but no Date can hold it
      if (n > MAX_DATE_SEC) bad('expires', `is ${x.N}, beyond any date (epoch seconds)`);
      expiresSec = n;
    }
  } else if (x !== undefined && !x.NULL) {
    bad('expires', `is ${typeName(x)}, not a number of epoch seconds (DynamoDB's TTL ignores it)`);
  }

  const layout = layoutOf(names);
  for (const [name, value] of Object.entries(raw)) {
    if (layout.has(name)) continue;
    const decoded = decodeField(value);
    if (decoded === undefined) opaque.push(name);
    else fields[name] = decoded;
  }
  return {
    partition: partition ?? '',
    key: key ?? '',
    version,
    fields,
    ...(payload !== undefined && { payload }),
    ...(base64 && { encoding: 'base64' as const }),
    ...(expiresSec !== undefined && { expiresSec }),
    ...(opaque.length > 0 && { opaque }),
    ...(invalid && { invalid }),
  };
}

/** The layout's physical names, as a set made once per `AttributeNames` object. */
const LAYOUTS = new WeakMap<AttributeNames, ReadonlySet<string>>();

function layoutOf(names: AttributeNames): ReadonlySet<string> {
  let layout = LAYOUTS.get(names);
  if (!layout) {
    layout = new Set(Object.values(names));
    LAYOUTS.set(names, layout);
  }
  return layout;
}

/**
 * Decodes a scalar attribute; maps, lists, sets, binary and null give `undefined`.
 *
 * @example
 * ```ts
 * decodeField({ N: '42' }); // 42
 * ```
 */
export function decodeField(value: RawAttributeValue): FieldValue | undefined {
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
 * Whether `text` is standard base64 exactly as an encoder writes it (what Go's `WriteWithBytes`
 * and dynastore store).
 *
 * @example
 * ```ts
 * isCanonicalBase64('AQI='); // true
 * isCanonicalBase64('hello'); // false
 * ```
 */
export function isCanonicalBase64(text: string): boolean {
  return Buffer.from(text, 'base64').toString('base64') === text;
}

const TYPE_NAMES: Record<string, string> = {
  S: 'a string (S)',
  N: 'a number (N)',
  B: 'binary (B)',
  BOOL: 'a boolean (BOOL)',
  NULL: 'null (NULL)',
  M: 'a map (M)',
  L: 'a list (L)',
  SS: 'a string set (SS)',
  NS: 'a number set (NS)',
  BS: 'a binary set (BS)',
};

/**
 * Names the DynamoDB type of a raw value for messages.
 *
 * @example
 * ```ts
 * typeName({ M: {} }); // 'a map (M)'
 * ```
 */
export function typeName(value: RawAttributeValue | undefined): string {
  if (value === undefined) return 'missing';
  const tag = Object.keys(value).find((k) => (value as Record<string, unknown>)[k] !== undefined);
  return (tag && TYPE_NAMES[tag]) ?? 'of an unknown type';
}
