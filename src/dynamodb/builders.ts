import type {
  DeleteItemInput,
  QueryInput as DynamoQueryInput,
  GetItemInput,
  TransactWriteItem,
  UpdateItemInput,
} from '@aws-sdk/client-dynamodb';
import type { DeleteInput, QueryInput, TransactItem, WriteInput } from '../contract/backend.js';
import type { AttributeNames } from '../contract/names.js';
import { encodeField } from './codec.js';
import { compileCondition, Placeholders } from './expression.js';

/** Where the builders write: the table and its attribute names. */
export interface TableRef {
  readonly tableName: string;
  readonly names: AttributeNames;
}

/**
 * The primary key of a row.
 *
 * @example
 * ```ts
 * keyOf(ref, 'config', 'a'); // { id: { S: 'config' }, name: { S: 'a' } }
 * ```
 */
export function keyOf(ref: TableRef, partition: string, key: string) {
  return { [ref.names.partition]: { S: partition }, [ref.names.key]: { S: key } };
}

/**
 * `GetItem` input (strongly consistent unless asked otherwise).
 *
 * @example
 * ```ts
 * await client.send(new GetItemCommand(buildGet(ref, 'p', 'k', true)));
 * ```
 */
export function buildGet(ref: TableRef, partition: string, key: string, consistent: boolean): GetItemInput {
  return {
    TableName: ref.tableName,
    Key: keyOf(ref, partition, key),
    ConsistentRead: consistent,
    ReturnConsumedCapacity: 'TOTAL',
  };
}

/**
 * One `UpdateItem`: `SET` the given attributes, `REMOVE` the nulls, `ADD version 1`, under the
 * condition; on a failed check DynamoDB returns the current row (`ALL_OLD`), so a lost race costs
 * no second read. A bytes marker (`encoding: 'base64'`) is stored as the version the write
 * creates (a number), computed by DynamoDB.
 *
 * @example
 * ```ts
 * buildUpdate(ref, { partition: 'p', key: 'k', payload: 'v', condition: { op: 'notExists' } });
 * ```
 */
export function buildUpdate(ref: TableRef, input: WriteInput): UpdateItemInput {
  const x = new Placeholders(ref.names);
  const set: string[] = [];
  const remove: string[] = [];
  const assign = (physical: string, value: string | number | bigint | boolean | null | undefined) => {
    if (value === undefined) return;
    if (value === null) remove.push(x.name(physical));
    else set.push(`${x.name(physical)} = ${x.value(encodeField(value))}`);
  };
  assign(ref.names.payload, input.payload);
  if (input.encoding === 'base64') {
    // The marker is the version this write creates (SET operands read the row before the update,
    // and ADD adds one), so any later write that leaves it alone (Go's) makes it stale.
    const version = x.name(ref.names.version);
    set.push(
      `${x.name(ref.names.encoding)} = if_not_exists(${version}, ${x.value({ N: '0' })}) + ${x.value({ N: '1' })}`,
    );
  } else if (input.encoding === null) remove.push(x.name(ref.names.encoding));
  assign(ref.names.expires, input.expiresSec);
  for (const [name, value] of Object.entries(input.fields ?? {})) assign(name, value);
  const parts = [
    set.length > 0 ? `SET ${set.join(', ')}` : '',
    remove.length > 0 ? `REMOVE ${remove.join(', ')}` : '',
    `ADD ${x.name(ref.names.version)} ${x.value({ N: '1' })}`,
  ];
  const condition = input.condition ? compileCondition(input.condition, x) : undefined;
  return {
    TableName: ref.tableName,
    Key: keyOf(ref, input.partition, input.key),
    UpdateExpression: parts.filter(Boolean).join(' '),
    ...(condition && { ConditionExpression: condition }),
    ...x.toInput(),
    ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    ReturnConsumedCapacity: 'TOTAL',
  };
}

/**
 * `DeleteItem` returning the deleted row, or the current one when the condition fails.
 *
 * @example
 * ```ts
 * buildDelete(ref, { partition: 'p', key: 'k', condition: { op: 'cmp', attr: 'version', cmp: '=', value: 2 } });
 * ```
 */
export function buildDelete(ref: TableRef, input: DeleteInput): DeleteItemInput {
  const x = new Placeholders(ref.names);
  const condition = input.condition ? compileCondition(input.condition, x) : undefined;
  return {
    TableName: ref.tableName,
    Key: keyOf(ref, input.partition, input.key),
    ...(condition && { ConditionExpression: condition }),
    ...x.toInput(),
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    ReturnConsumedCapacity: 'TOTAL',
  };
}

/**
 * One `Query` page over a partition, optionally restricted to a key prefix.
 *
 * @example
 * ```ts
 * buildQuery(ref, { partition: 'p', prefix: 'a/', limit: 100 });
 * ```
 */
export function buildQuery(ref: TableRef, input: QueryInput): DynamoQueryInput {
  const x = new Placeholders(ref.names);
  let keyCondition = `${x.name(ref.names.partition)} = ${x.value({ S: input.partition })}`;
  if (input.prefix)
    keyCondition += ` AND begins_with(${x.name(ref.names.key)}, ${x.value({ S: input.prefix })})`;
  return {
    TableName: ref.tableName,
    KeyConditionExpression: keyCondition,
    ...x.toInput(),
    ConsistentRead: input.consistent !== false,
    ...(input.limit !== undefined && { Limit: input.limit }),
    ...(input.after !== undefined && { ExclusiveStartKey: keyOf(ref, input.partition, input.after) }),
    ReturnConsumedCapacity: 'TOTAL',
  };
}

/**
 * The elements of a `TransactWriteItems`, each returning the current row when its check fails.
 *
 * @example
 * ```ts
 * buildTransact(ref, [{ kind: 'check', partition: 'locks', key: 'job', condition }, { kind: 'write', ...write }]);
 * ```
 */
export function buildTransact(ref: TableRef, items: readonly TransactItem[]): TransactWriteItem[] {
  return items.map((item): TransactWriteItem => {
    if (item.kind === 'write') {
      const u = buildUpdate(ref, item);
      return {
        Update: {
          TableName: u.TableName,
          Key: u.Key,
          UpdateExpression: u.UpdateExpression,
          ConditionExpression: u.ConditionExpression,
          ExpressionAttributeNames: u.ExpressionAttributeNames,
          ExpressionAttributeValues: u.ExpressionAttributeValues,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      };
    }
    if (item.kind === 'delete') {
      const d = buildDelete(ref, item);
      return {
        Delete: {
          TableName: d.TableName,
          Key: d.Key,
          ConditionExpression: d.ConditionExpression,
          ExpressionAttributeNames: d.ExpressionAttributeNames,
          ExpressionAttributeValues: d.ExpressionAttributeValues,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      };
    }
    const x = new Placeholders(ref.names);
    const condition = compileCondition(item.condition, x);
    return {
      ConditionCheck: {
        TableName: ref.tableName,
        Key: keyOf(ref, item.partition, item.key),
        ConditionExpression: condition,
        ...x.toInput(),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  });
}
