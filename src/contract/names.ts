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
