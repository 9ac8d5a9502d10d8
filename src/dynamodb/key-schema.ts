import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { keySchemaDifferences, resolveKeyNames, type TableKeyNames } from './create-table-input.js';

/**
 * Reads the table's description and says how its key schema differs from the dynastore layout
 * (`[]`: it has the layout), or undefined when the table cannot be described (missing, no
 * permission, unreachable).
 *
 * @example
 * ```ts
 * const diffs = await describeKeySchemaDifferences(client, 'jobs'); // ['HASH key is "pk", not "id"']
 * ```
 */
export async function describeKeySchemaDifferences(
  client: DynamoDBClient,
  tableName: string,
  names: TableKeyNames = resolveKeyNames(undefined),
): Promise<string[] | undefined> {
  const table = await client
    .send(new DescribeTableCommand({ TableName: tableName }))
    .then((out) => out.Table)
    .catch(() => undefined);
  return table ? keySchemaDifferences(table, names) : undefined;
}
