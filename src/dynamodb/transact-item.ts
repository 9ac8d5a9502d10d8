import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { Backend, TransactItem } from '../contract/backend.js';
import { ValidationError } from '../contract/errors/store.js';
import { DynamoBackend } from './backend.js';

/**
 * The DynamoDB `TransactWriteItem` for a store transaction element, typically `lease.guard()`
 * (a `ConditionCheck` on the lock row: owner and token still the lease's). Put it first in your
 * own `TransactWriteItems`, next to writes to any table: DynamoDB applies them only while the
 * lease is current, and a stale holder gets `TransactionCanceledException` with reason
 * `ConditionalCheckFailed` at that index. The store must be backed by DynamoDB.
 *
 * @example
 * ```ts
 * await client.send(new TransactWriteItemsCommand({
 *   TransactItems: [
 *     toTransactWriteItem(store, lease.guard()),
 *     { Put: { TableName: 'orders', Item: { id: { S: '42' }, state: { S: 'shipped' } } } },
 *   ],
 * }));
 * ```
 */
export function toTransactWriteItem(
  store: { readonly backend: Backend },
  item: TransactItem,
): TransactWriteItem {
  const backend = store.backend;
  if (!(backend instanceof DynamoBackend)) {
    throw new ValidationError(
      'store',
      `is backed by "${backend.kind}", not DynamoDB: use store.backend.transact instead`,
    );
  }
  return backend.transactWriteItem(item);
}
