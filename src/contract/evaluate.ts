import type { AttrName, Condition, FieldValue, StoredItem } from './backend.js';

/**
 * Evaluates a {@link Condition} against a row the way DynamoDB does: a comparison with a missing
 * attribute is false (but `<>` is true), strings compare by UTF-8 bytes, numbers numerically.
 *
 * @example
 * ```ts
 * evaluate({ op: 'cmp', attr: 'version', cmp: '=', value: 3 }, item); // true when item.version is 3
 * ```
 */
export function evaluate(cond: Condition, item: StoredItem | undefined): boolean {
  switch (cond.op) {
    case 'exists':
      return item !== undefined;
    case 'notExists':
      return item === undefined;
    case 'attrExists':
      return readAttr(item, cond.attr) !== undefined || isOdd(item, cond.attr);
    case 'attrNotExists':
      return readAttr(item, cond.attr) === undefined && !isOdd(item, cond.attr);
    case 'cmp': {
      // an attribute of another type compares with nothing (`<>` is true), as in DynamoDB
      if (isOdd(item, cond.attr)) return cond.cmp === '<>';
      const actual = readAttr(item, cond.attr);
      // DynamoDB: a missing attribute (or row) fails every comparison except `<>`, which it passes.
      if (actual === undefined) return cond.cmp === '<>';
      const order = compareValues(actual, cond.value);
      if (order === undefined) return cond.cmp === '<>';
      return applyCmp(cond.cmp, order);
    }
    case 'and':
      return cond.all.every((c) => evaluate(c, item));
    case 'or':
      return cond.any.some((c) => evaluate(c, item));
    case 'not':
      return !evaluate(cond.cond, item);
  }
}

/**
 * Whether a row counts as present at `nowMs`: it exists and its `expires` (epoch seconds), if
 * any, has not passed. DynamoDB keeps expired rows until its reaper runs; every read treats them
 * as absent.
 *
 * @example
 * ```ts
 * isLive(item, Date.now());
 * ```
 */
export function isLive(item: StoredItem | undefined, nowMs: number): item is StoredItem {
  return item !== undefined && (item.expiresSec === undefined || item.expiresSec * 1000 > nowMs);
}

/** The attribute exists with a type dynastore does not decode (see `StoredItem.opaque` / `invalid`). */
function isOdd(item: StoredItem | undefined, attr: AttrName): boolean {
  if (!item) return false;
  if (attr.startsWith('field:')) return item.opaque?.includes(attr.slice('field:'.length)) ?? false;
  // a far-future `expires` is still a number (kept in expiresSec): it compares as one
  return item.invalid?.logical === attr && !(attr === 'expires' && item.expiresSec !== undefined);
}

function readAttr(item: StoredItem | undefined, attr: AttrName): FieldValue | undefined {
  if (!item) return undefined;
  if (attr === 'version') return item.version;
  if (attr === 'payload') return item.payload;
  if (attr === 'expires') return item.expiresSec;
  return item.fields[attr.slice('field:'.length)];
}

function applyCmp(cmp: '=' | '<>' | '<' | '<=' | '>' | '>=', order: number): boolean {
  switch (cmp) {
    case '=':
      return order === 0;
    case '<>':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

/** Orders two values of the same DynamoDB type; `undefined` when the types differ. */
export function compareValues(a: FieldValue, b: FieldValue): number | undefined {
  const numA = typeof a === 'number' || typeof a === 'bigint';
  const numB = typeof b === 'number' || typeof b === 'bigint';
  if (numA && numB) return compareNumbers(a, b);
  if (typeof a === 'string' && typeof b === 'string') return compareUtf8(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : undefined;
  return undefined;
}

function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const whole = (x: number | bigint) => typeof x === 'bigint' || Number.isInteger(x);
    if (whole(a) && whole(b)) {
      const d = BigInt(a) - BigInt(b);
      return d === 0n ? 0 : d < 0n ? -1 : 1;
    }
  }
  const d = Number(a) - Number(b);
  return d === 0 ? 0 : d < 0 ? -1 : 1;
}

/** DynamoDB orders strings by their UTF-8 bytes. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
