import type {
  CreateTableCommandInput,
  TableDescription,
  TimeToLiveDescription,
  UpdateTableCommandInput,
  UpdateTimeToLiveCommandInput,
} from '@aws-sdk/client-dynamodb';
import { type AttributeNames, resolveAttributeNames } from '../contract/names.js';

/**
 * The attribute names `createTable` cares about: the key schema and the TTL attribute.
 *
 * @example
 * ```ts
 * const names: TableKeyNames = { partition: 'id', key: 'name', expires: 'expires' };
 * ```
 */
export type TableKeyNames = Pick<AttributeNames, 'partition' | 'key' | 'expires'>;

/**
 * The three names `createTable` uses, after the one attribute-name resolver
 * ({@link resolveAttributeNames}: Go dynastore's defaults, 1 to 255 bytes, all different).
 *
 * @example
 * ```ts
 * resolveKeyNames({ expires: 'ttl' }); // { partition: 'id', key: 'name', expires: 'ttl' }
 * ```
 */
export function resolveKeyNames(names: Partial<AttributeNames> | undefined): TableKeyNames {
  // every layout name is accepted (the same object serves `new Dynastore`); only three matter here
  const all = resolveAttributeNames(names);
  return { partition: all.partition, key: all.key, expires: all.expires };
}

/**
 * The CreateTable input of the dynastore layout: HASH `id` (S), RANGE `name` (S), a
 * NEW_AND_OLD_IMAGES stream, on-demand billing.
 *
 * @example
 * ```ts
 * await client.send(new CreateTableCommand(buildCreateTableInput('t', resolveKeyNames(undefined))));
 * ```
 */
export function buildCreateTableInput(tableName: string, names: TableKeyNames): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: names.partition, AttributeType: 'S' },
      { AttributeName: names.key, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: names.partition, KeyType: 'HASH' },
      { AttributeName: names.key, KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  };
}

/**
 * The UpdateTable input that turns on a NEW_AND_OLD_IMAGES stream.
 *
 * @example
 * ```ts
 * await client.send(new UpdateTableCommand(buildEnableStreamInput('t')));
 * ```
 */
export function buildEnableStreamInput(tableName: string): UpdateTableCommandInput {
  return {
    TableName: tableName,
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  };
}

/**
 * The UpdateTable input that disables the table's stream (the first step of replacing a stream of
 * another view type: DynamoDB does not change the view type of an enabled stream).
 *
 * @example
 * ```ts
 * await client.send(new UpdateTableCommand(buildDisableStreamInput('t')));
 * ```
 */
export function buildDisableStreamInput(tableName: string): UpdateTableCommandInput {
  return { TableName: tableName, StreamSpecification: { StreamEnabled: false } };
}

/**
 * The UpdateTimeToLive input that makes the `expires` attribute the table's TTL.
 *
 * @example
 * ```ts
 * await client.send(new UpdateTimeToLiveCommand(buildUpdateTimeToLiveInput('t', names)));
 * ```
 */
export function buildUpdateTimeToLiveInput(
  tableName: string,
  names: TableKeyNames,
): UpdateTimeToLiveCommandInput {
  return { TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: names.expires } };
}

/**
 * How an existing table's key schema differs from the layout, one sentence per difference
 * (empty when it matches).
 *
 * @example
 * ```ts
 * keySchemaDifferences(description, names); // ["HASH key is 'pk' (S); expected 'id' (S)"]
 * ```
 */
export function keySchemaDifferences(table: TableDescription, names: TableKeyNames): string[] {
  const diffs: string[] = [];
  const schema = table.KeySchema ?? [];
  const typeOf = (name: string | undefined) =>
    table.AttributeDefinitions?.find((d) => d.AttributeName === name)?.AttributeType ?? '?';
  for (const [keyType, expected] of [
    ['HASH', names.partition],
    ['RANGE', names.key],
  ] as const) {
    const actual = schema.find((k) => k.KeyType === keyType)?.AttributeName;
    if (actual === undefined) diffs.push(`no ${keyType} key; expected '${expected}' (S)`);
    else if (actual !== expected || typeOf(actual) !== 'S') {
      diffs.push(`${keyType} key is '${actual}' (${typeOf(actual)}); expected '${expected}' (S)`);
    }
  }
  return diffs;
}

/**
 * Whether the table's stream fits the watch layer: `ok` (NEW_AND_OLD_IMAGES), `missing` (none,
 * can be turned on), or `other` (a stream of another view type, which would have to be disabled
 * first, losing its records; dynastore leaves that decision to the owner).
 *
 * @example
 * ```ts
 * if (streamState(description) === 'missing') await client.send(new UpdateTableCommand(buildEnableStreamInput(t)));
 * ```
 */
export function streamState(table: TableDescription): 'ok' | 'missing' | 'other' {
  const spec = table.StreamSpecification;
  if (!spec?.StreamEnabled) return 'missing';
  return spec.StreamViewType === 'NEW_AND_OLD_IMAGES' ? 'ok' : 'other';
}

/**
 * Whether TTL is on the `expires` attribute: `ok` (ENABLED or ENABLING on it), `missing`, or
 * `other` (on another attribute; a table has at most one).
 *
 * @example
 * ```ts
 * const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: t }));
 * ttlState(TimeToLiveDescription, names);
 * ```
 */
export function ttlState(
  ttl: TimeToLiveDescription | undefined,
  names: TableKeyNames,
): 'ok' | 'missing' | 'other' {
  const status = ttl?.TimeToLiveStatus;
  if (status !== 'ENABLED' && status !== 'ENABLING') return 'missing';
  return ttl?.AttributeName === names.expires ? 'ok' : 'other';
}
