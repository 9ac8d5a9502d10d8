import { createDynamoClient, type DynamoDBClient, type DynamoDBClientConfig } from '../dynamodb/client.js';
import { silenceNodeVersionWarning } from '../process/quiet.js';

/**
 * A DynamoDBClient for a DynamoDB Local endpoint: region `us-east-1`, dummy credentials (DynamoDB
 * Local accepts any), 3 attempts. `overrides` are merged over these.
 *
 * @example
 * ```ts
 * const client = localDynamoClient('http://127.0.0.1:8000');
 * await client.send(new ListTablesCommand({}));
 * client.destroy();
 * ```
 */
export function localDynamoClient(endpoint: string, overrides: DynamoDBClientConfig = {}): DynamoDBClient {
  silenceNodeVersionWarning();
  return createDynamoClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'dynastore', secretAccessKey: 'local' },
    maxAttempts: 3,
    ...overrides,
  });
}
