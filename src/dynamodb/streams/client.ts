import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { loadStreamsSdk } from './sdk.js';

const AWS_HOST = /(^|\.)(amazonaws\.com|amazonaws\.com\.cn|api\.aws)$/i;

/** The SDK's environment variable for a DynamoDB Streams endpoint of its own. */
export const STREAMS_ENDPOINT_ENV = 'AWS_ENDPOINT_URL_DYNAMODB_STREAMS';

/** An endpoint as the SDK's resolved config gives it (`config.endpoint()`), or a URL string. */
interface EndpointLike {
  readonly protocol?: string;
  readonly hostname?: string;
  readonly port?: number | string;
  readonly path?: string;
}

/** The parts of a client's resolved config that say where it sends requests (some are internal to the SDK). */
interface EndpointConfig {
  readonly isCustomEndpoint?: boolean;
  readonly endpoint?: () => Promise<EndpointLike | string | undefined>;
  /** Newer SDKs: the endpoint from `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL` or the shared config file. */
  readonly serviceConfiguredEndpoint?: () => Promise<string | undefined>;
  readonly ignoreConfiguredEndpointUrls?: boolean;
}

/**
 * Where `client` sends its requests when that is not derived from the region, as a URL string:
 * an `endpoint` given in code, else one from the SDK's configuration (`AWS_ENDPOINT_URL_DYNAMODB`,
 * `AWS_ENDPOINT_URL`, `endpoint_url` or a `services` section in the shared config file). Undefined
 * when the SDK derives it from the region (or cannot say).
 *
 * @example
 * ```ts
 * // AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000
 * await configuredEndpoint(new DynamoDBClient({ region: 'us-east-1' })); // 'http://127.0.0.1:8000'
 * ```
 */
export async function configuredEndpoint(client: { readonly config: unknown }): Promise<string | undefined> {
  const c = client.config as EndpointConfig;
  const provided = async () => urlOf(await c.endpoint?.().catch(() => undefined));
  if (c.isCustomEndpoint) return provided();
  if (!c.ignoreConfiguredEndpointUrls && typeof c.serviceConfiguredEndpoint === 'function') {
    const configured = await c.serviceConfiguredEndpoint().catch(() => undefined);
    if (typeof configured === 'string' && configured !== '') return configured;
  }
  // Older SDKs: `endpoint` holds the configured endpoint once a request resolved it, or a default
  // one derived from the region (an AWS host, which the caller does not copy).
  return provided();
}

/**
 * Makes a DynamoDB Streams client that talks like `client`: same region, credential provider,
 * FIPS / dual-stack settings and request handler (so proxies, agents and timeouts carry over and
 * the new client owns no sockets: it never needs `destroy()`). It follows the DynamoDB client's
 * endpoint however that was set ({@link configuredEndpoint}: in code, `AWS_ENDPOINT_URL_DYNAMODB`,
 * `AWS_ENDPOINT_URL`, the shared config file), because DynamoDB Local and LocalStack serve both
 * APIs on one port, except that:
 * - `AWS_ENDPOINT_URL_DYNAMODB_STREAMS` wins (the SDK then reads it itself);
 * - an AWS host is not copied: on AWS the Streams endpoint differs from DynamoDB's and the SDK
 *   derives it from the region.
 *
 * (Pass `stream.streamsClient` for any other arrangement.) SDK retries are off: the poller
 * retries by itself and reports each attempt.
 *
 * @example
 * ```ts
 * const streams = await streamsClientFor(new DynamoDBClient({ region: 'eu-west-1' }));
 * ```
 */
export async function streamsClientFor(client: DynamoDBClient): Promise<DynamoDBStreamsClient> {
  const { DynamoDBStreamsClient } = await loadStreamsSdk();
  const c = client.config;
  const base = {
    region: c.region,
    credentials: c.credentials,
    useFipsEndpoint: c.useFipsEndpoint,
    useDualstackEndpoint: c.useDualstackEndpoint,
    requestHandler: c.requestHandler,
    logger: c.logger,
    maxAttempts: 1,
  };
  const ignore = (c as EndpointConfig).ignoreConfiguredEndpointUrls === true;
  if (!ignore && streamsEndpointFromEnv() !== undefined) {
    // The SDK's own resolution reads it (and honours AWS_IGNORE_CONFIGURED_ENDPOINT_URLS).
    return new DynamoDBStreamsClient(base);
  }
  const endpoint = await configuredEndpoint(client);
  if (endpoint === undefined) {
    return new DynamoDBStreamsClient({ ...base, ...(ignore && { ignoreConfiguredEndpointUrls: true }) });
  }
  if (isAwsHost(endpoint)) {
    // The region decides, not an AWS_ENDPOINT_URL the DynamoDB client itself did not use.
    return new DynamoDBStreamsClient({ ...base, ignoreConfiguredEndpointUrls: true });
  }
  return new DynamoDBStreamsClient({ ...base, endpoint });
}

/**
 * `AWS_ENDPOINT_URL_DYNAMODB_STREAMS`, when set and not empty.
 *
 * @example
 * ```ts
 * if (streamsEndpointFromEnv()) console.log('Streams have an endpoint of their own');
 * ```
 */
export function streamsEndpointFromEnv(): string | undefined {
  const value = globalThis.process?.env?.[STREAMS_ENDPOINT_ENV];
  return value === undefined || value === '' ? undefined : value;
}

function isAwsHost(url: string): boolean {
  try {
    return AWS_HOST.test(new URL(url).hostname);
  } catch {
    return false; // not a URL we can parse: copy it as given, the SDK will say what is wrong
  }
}

function urlOf(endpoint: EndpointLike | string | undefined): string | undefined {
  if (endpoint === undefined || typeof endpoint === 'string') return endpoint || undefined;
  if (typeof endpoint.hostname !== 'string' || endpoint.hostname === '') return undefined;
  const protocol = (endpoint.protocol ?? 'https:').replace(/:?$/, ':');
  const host = endpoint.hostname.includes(':') ? `[${endpoint.hostname}]` : endpoint.hostname;
  const port = endpoint.port === undefined || endpoint.port === '' ? '' : `:${endpoint.port}`;
  const path = endpoint.path && endpoint.path !== '/' ? endpoint.path : '';
  return `${protocol}//${host}${port}${path}`;
}
