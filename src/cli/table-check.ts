import { describeKeySchemaDifferences } from '../dynamodb/key-schema.js';
import { BackendError, TableMismatchError } from '../index.js';
import type { Connection } from './connect.js';

/** What DynamoDB (and DynamoDB Local) say when a key does not fit the table's key schema. */
const KEY_SCHEMA_COMPLAINT =
  /key element does not match the schema|number of conditions on the keys is invalid|missed key schema element|missing the key/i;

/**
 * Runs `work`; when DynamoDB refuses it because the table has another key schema, reads the
 * table's description and throws a `TableMismatchError` saying what differs, as `init` does.
 *
 * @example
 * ```ts
 * const pair = await explainKeySchema(conn, () => conn.store.partition('p').get('k'));
 * ```
 */
export async function explainKeySchema<T>(conn: Connection, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const cause =
      err instanceof BackendError ? (err.cause as { name?: string; message?: string }) : undefined;
    if (cause?.name !== 'ValidationException' || !KEY_SCHEMA_COMPLAINT.test(cause.message ?? '')) throw err;
    const diffs = (await describeKeySchemaDifferences(conn.client, conn.tableName)) ?? [];
    if (diffs.length === 0) throw err;
    throw new TableMismatchError(
      `table "${conn.tableName}" does not have the dynastore key schema: ${diffs.join('; ')} (\`dynastore init --table <new name>\` makes a table that has it)`,
    );
  }
}
