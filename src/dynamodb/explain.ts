import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynastoreError } from '../contract/errors/base.js';
import { TableMismatchError } from '../contract/errors/store.js';
import type { AttributeNames } from '../contract/names.js';
import { wrapAwsError } from './errors.js';
import { describeKeySchemaDifferences } from './key-schema.js';

/** What DynamoDB (and DynamoDB Local) say when a key does not fit the table's key schema. */
const KEY_SCHEMA_COMPLAINT =
  /key element does not match the schema|number of conditions on the keys is invalid|missed key schema element|missing the key|required keys? (was|were) not given a value/i;

/**
 * Whether `err` is DynamoDB refusing a request whose key does not fit the table's key schema
 * (a `ValidationException` such as "The number of conditions on the keys is invalid").
 *
 * @example
 * ```ts
 * if (isKeySchemaComplaint(err)) console.error('the table has another key schema');
 * ```
 */
export function isKeySchemaComplaint(err: unknown): boolean {
  const e = err as { name?: unknown; message?: unknown } | undefined;
  return (
    e?.name === 'ValidationException' && typeof e.message === 'string' && KEY_SCHEMA_COMPLAINT.test(e.message)
  );
}

/** The table a request went to. */
export interface TableTarget {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly names: Pick<AttributeNames, 'partition' | 'key' | 'expires'>;
}

/**
 * The error to throw for a failed DynamoDB request on `target`, with what the caller needs to fix
 * it: a table of another key schema is a `TableMismatchError` saying how it differs (one
 * DescribeTable, on this error path only); a missing table names the table, endpoint and region;
 * otherwise as {@link wrapAwsError} (errors dynastore already made pass through).
 *
 * @example
 * ```ts
 * catch (err) { throw await explainAwsError(target, 'GetItem', err, 'http://127.0.0.1:8000') }
 * ```
 */
export async function explainAwsError(
  target: TableTarget,
  operation: string,
  err: unknown,
  endpoint: string | undefined,
): Promise<Error> {
  if (err instanceof DynastoreError) return err;
  const { client, tableName, names } = target;
  if (isKeySchemaComplaint(err)) {
    const diffs = await describeKeySchemaDifferences(client, tableName, names);
    if (diffs && diffs.length > 0) {
      return new TableMismatchError(
        `table "${tableName}" does not have the dynastore key schema: ${diffs.join('; ')} (a table made by createTable({ client, tableName }) or \`dynastore init --table <new name>\` has it; or set attributeNames.partition / attributeNames.key to the table's key attributes if they are strings)`,
        { cause: err },
      );
    }
  }
  const named = (err as { name?: unknown } | undefined)?.name === 'ResourceNotFoundException';
  const region = named ? await regionOf(client) : undefined;
  return wrapAwsError(operation, err, endpoint, {
    table: tableName,
    ...(region !== undefined && { region }),
  });
}

/** The region `client` resolves, or undefined when it has none. */
async function regionOf(client: DynamoDBClient): Promise<string | undefined> {
  try {
    const region = await client.config.region();
    return typeof region === 'string' && region !== '' ? region : undefined;
  } catch {
    return undefined; // no region: the error says so itself
  }
}
