import type * as Streams from '@aws-sdk/client-dynamodb-streams';
import { ValidationError } from '../../contract/errors/store.js';

/** The parts of `@aws-sdk/client-dynamodb-streams` the poller uses. */
export type StreamsSdk = Pick<
  typeof Streams,
  'DynamoDBStreamsClient' | 'DescribeStreamCommand' | 'GetRecordsCommand' | 'GetShardIteratorCommand'
>;

let loading: Promise<StreamsSdk> | undefined;

/**
 * Loads `@aws-sdk/client-dynamodb-streams` on first use (it is an optional peer dependency: only
 * watching a DynamoDB table needs it). A missing package is a `ValidationError` naming the fix.
 *
 * @example
 * ```ts
 * const { GetRecordsCommand } = await loadStreamsSdk();
 * ```
 */
export function loadStreamsSdk(): Promise<StreamsSdk> {
  loading ??= import('@aws-sdk/client-dynamodb-streams').catch((err: unknown) => {
    loading = undefined;
    throw new ValidationError(
      'stream',
      `watching a DynamoDB table needs the package @aws-sdk/client-dynamodb-streams (npm install @aws-sdk/client-dynamodb-streams): ${(err as Error)?.message ?? String(err)}`,
    );
  });
  return loading;
}
