import { DynamoDBClient, type DynamoDBClientConfig, ListTablesCommand } from '@aws-sdk/client-dynamodb';

/**
 * The AWS SDK's DynamoDB client and its configuration, for the code outside `src/dynamodb` that
 * names them in a signature (the only place that imports `@aws-sdk` is `src/dynamodb`).
 *
 * @example
 * ```ts
 * const config: DynamoDBClientConfig = { region: 'eu-west-1' };
 * ```
 */
export type { DynamoDBClient, DynamoDBClientConfig };

/**
 * A DynamoDB client for `config` (endpoint, region, credentials, retries, request handler).
 *
 * @example
 * ```ts
 * const client = createDynamoClient({ endpoint: 'http://127.0.0.1:8000', region: 'us-east-1' });
 * ```
 */
export function createDynamoClient(config: DynamoDBClientConfig): DynamoDBClient {
  return new DynamoDBClient(config);
}

/**
 * The cheapest call that proves an endpoint answers as DynamoDB: `ListTables` of at most one table.
 * Rejects with the SDK's error when nothing answers (or `signal` aborts first).
 *
 * @example
 * ```ts
 * await pingDynamo(client, AbortSignal.timeout(2_000));
 * ```
 */
export async function pingDynamo(client: DynamoDBClient, signal?: AbortSignal): Promise<void> {
  await client.send(new ListTablesCommand({ Limit: 1 }), signal ? { abortSignal: signal } : {});
}
