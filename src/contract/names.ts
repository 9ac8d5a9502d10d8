import { ValidationError } from './errors/store.js';
import { checkText, resolveOptions } from './validate.js';

/**
 * Physical attribute names of the table layout. The defaults are Go dynastore's, so Go and
 * TypeScript processes can share a table.
 *
 * @example
 * ```ts
 * new Dynastore({ client, tableName, attributeNames: { payload: 'value' } });
 * ```
 */
export interface AttributeNames {
  /** Partition (HASH) key. @default 'id' */
  readonly partition: string;
  /** Sort (RANGE) key. @default 'name' */
  readonly key: string;
  /** @default 'version' */
  readonly version: string;
  /** @default 'payload' */
  readonly payload: string;
  /** TTL attribute, epoch seconds. @default 'expires' */
  readonly expires: string;
  /** Set to `base64` when the payload holds bytes. @default 'encoding' */
  readonly encoding: string;
}

/** Go dynastore's attribute names. */
export const defaultAttributeNames: AttributeNames = {
  partition: 'id',
  key: 'name',
  version: 'version',
  payload: 'payload',
  expires: 'expires',
  encoding: 'encoding',
};

/**
 * The one resolver of attribute names, used by `new Dynastore` and `createTable` alike: fills Go
 * dynastore's defaults into `names`, rejects unknown fields, and checks that each name is a string
 * of 1 to 255 bytes (UTF-8) and that no two fields share a name.
 *
 * @example
 * ```ts
 * resolveAttributeNames({ expires: 'ttl' }).expires; // 'ttl'
 * resolveAttributeNames({ key: 'id' }); // throws ValidationError (attributeNames.key: "id" is used twice)
 * ```
 */
export function resolveAttributeNames(names: Partial<AttributeNames> | undefined): AttributeNames {
  const resolved = resolveOptions('attributeNames', names, { ...defaultAttributeNames });
  const seen = new Set<string>();
  for (const [field, value] of Object.entries(resolved)) {
    checkText(`attributeNames.${field}`, value);
    if (value.length === 0 || Buffer.byteLength(value, 'utf8') > 255)
      throw new ValidationError(`attributeNames.${field}`, 'must be 1 to 255 bytes (UTF-8)');
    if (seen.has(value)) throw new ValidationError(`attributeNames.${field}`, `"${value}" is used twice`);
    seen.add(value);
  }
  return resolved;
}
