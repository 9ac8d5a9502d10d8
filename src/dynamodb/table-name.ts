import { ValidationError } from '../contract/errors/store.js';

/**
 * Checks a DynamoDB table name: 3–255 characters of `[a-zA-Z0-9_.-]`.
 *
 * @example
 * ```ts
 * checkTableName('dynastore'); // 'dynastore'
 * ```
 */
export function checkTableName(tableName: unknown): string {
  if (typeof tableName !== 'string' || !/^[a-zA-Z0-9_.-]{3,255}$/.test(tableName)) {
    throw new ValidationError(
      'tableName',
      `must be 3-255 characters of [a-zA-Z0-9_.-], got ${JSON.stringify(tableName)}`,
    );
  }
  return tableName;
}
