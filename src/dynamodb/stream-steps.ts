/**
 * What to do about a table whose stream has another view type than NEW_AND_OLD_IMAGES, in steps
 * DynamoDB accepts: it refuses to change the view type of an enabled stream ("Table already has
 * an enabled stream"), so the stream is disabled first, then a new one is turned on. Shared by
 * `createTable`'s error and the watch's `StreamDisabledError`.
 *
 * @example
 * ```ts
 * throw new TableMismatchError(`table 't' has a KEYS_ONLY stream; ${replaceStreamSteps('t')}`);
 * ```
 */
export function replaceStreamSteps(tableName: string): string {
  return (
    'DynamoDB does not change the view type of an enabled stream: disable it with UpdateTable ' +
    `{ TableName: '${tableName}', StreamSpecification: { StreamEnabled: false } }, then, once the ` +
    "table is ACTIVE again, turn on a NEW_AND_OLD_IMAGES one with UpdateTable { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } } " +
    `(or createTable({ client, tableName: '${tableName}' })). createTable with replaceStream: true, ` +
    'or `dynastore init --replace-stream`, does both. Readers of the old stream lose it'
  );
}
