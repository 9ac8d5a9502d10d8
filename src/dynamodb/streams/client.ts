import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { loadStreamsSdk } from './sdk.js';

const AWS_HOST = /(^|\.)(amazonaws\.com|amazonaws\.com\.cn|api\.aws)$/i;

/**
 * Makes a DynamoDB Streams client that talks like `client`: same region, credential provider,
 * FIPS / dual-stack settings and request handler (so proxies, agents and timeouts carry over and
 * the new client owns no sockets: it never needs `destroy()`). A custom endpoint is copied only
 * when its host is not an AWS one: DynamoDB Local and LocalStack serve both APIs on one port,
 * while on AWS the Streams endpoint differs from DynamoDB's and the SDK derives it from the
 * region. SDK retries are off: the poller retries by itself and reports each attempt.
 *
 * @example
 * ```ts
 * const streams = await streamsClientFor(new DynamoDBClient({ region: 'eu-west-1' }));
 * ```
 */
export async function streamsClientFor(client: DynamoDBClient): Promise<DynamoDBStreamsClient> {
  const { DynamoDBStreamsClient } = await loadStreamsSdk();
  const c = client.config;
  const endpoint = c.isCustomEndpoint ? await c.endpoint?.() : undefined;
  const copyEndpoint = endpoint !== undefined && !AWS_HOST.test(endpoint.hostname);
  return new DynamoDBStreamsClient({
    region: c.region,
    credentials: c.credentials,
    useFipsEndpoint: c.useFipsEndpoint,
    useDualstackEndpoint: c.useDualstackEndpoint,
    requestHandler: c.requestHandler,
    logger: c.logger,
    maxAttempts: 1,
    ...(copyEndpoint && { endpoint }),
  });
}
