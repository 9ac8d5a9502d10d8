import { createDynamoClient, type DynamoDBClient, type DynamoDBClientConfig } from '../dynamodb/client.js';
import type { CallListener } from '../index.js';
import { createTable, Dynastore, ValidationError } from '../index.js';
import { startLocalDynamo } from '../testing.js';

/**
 * Where the CLI connects: flags first, then the usual AWS environment.
 *
 * @example
 * ```ts
 * const o: ConnectionOptions = { endpoint: 'http://127.0.0.1:8000', table: 'jobs' };
 * ```
 */
export interface ConnectionOptions {
  /** `--endpoint`. @default `AWS_ENDPOINT_URL_DYNAMODB`, then `AWS_ENDPOINT_URL`, then AWS's */
  readonly endpoint?: string;
  /** `--region`. @default `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the AWS config; `us-east-1` for a local endpoint */
  readonly region?: string;
  /** `--table`. @default `DYNASTORE_TABLE`, then `dynastore` */
  readonly table?: string;
  /** `--local`: start an embedded DynamoDB Local for this one run (in memory, gone afterwards). */
  readonly local?: boolean;
  /** Told about every DynamoDB call (the store's `onCall`). */
  readonly onCall?: CallListener;
}

/**
 * How long the CLI's client waits for a TCP connection before the attempt counts as failed (and
 * is retried): a silent (firewalled) endpoint is then reported like a refused one, not after the
 * system's own connect timeout of minutes.
 *
 * @example
 * ```ts
 * new DynamoDBClient({ requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS } });
 * ```
 */
export const CONNECTION_TIMEOUT_MS = 5_000;

/**
 * An open store and what to close when done.
 *
 * @example
 * ```ts
 * const { store, close } = await connect({ local: true });
 * ```
 */
export interface Connection {
  readonly store: Dynastore;
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The endpoint in use, when not AWS's default one. */
  readonly endpoint: string | undefined;
  /** Destroys the client (and stops the embedded DynamoDB Local of `--local`). */
  close(): Promise<void>;
}

/**
 * The table name when neither `--table` nor `DYNASTORE_TABLE` says otherwise.
 *
 * @example
 * ```ts
 * const table = process.env.DYNASTORE_TABLE ?? DEFAULT_TABLE;
 * ```
 */
export const DEFAULT_TABLE = 'dynastore';

/**
 * The table name the CLI uses: `--table`, then `DYNASTORE_TABLE`, then `dynastore`.
 *
 * @example
 * ```ts
 * tableNameFrom(undefined, { DYNASTORE_TABLE: 'jobs' }); // 'jobs'
 * ```
 */
export function tableNameFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.DYNASTORE_TABLE ?? DEFAULT_TABLE;
}

/**
 * The DynamoDB client configuration for the CLI's flags and environment. A local endpoint
 * (localhost, 127.0.0.1, ::1) gets region `us-east-1` and dummy credentials unless the
 * environment sets them: DynamoDB Local accepts any.
 *
 * @example
 * ```ts
 * clientConfig({ endpoint: 'http://127.0.0.1:8000' }, {}); // { endpoint, region: 'us-east-1', credentials }
 * ```
 */
export function clientConfig(
  o: ConnectionOptions,
  env: NodeJS.ProcessEnv = process.env,
): DynamoDBClientConfig {
  const endpoint = o.endpoint ?? env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL;
  let local = false;
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new ValidationError('--endpoint', `"${endpoint}" is not a URL (e.g. http://127.0.0.1:8000)`);
    }
    local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  }
  const region = o.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (local ? 'us-east-1' : undefined);
  const hasCredentials = Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE);
  return {
    ...(endpoint !== undefined && { endpoint }),
    ...(region !== undefined && { region }),
    ...(local && !hasCredentials && { credentials: { accessKeyId: 'dynastore', secretAccessKey: 'local' } }),
  };
}

/**
 * Opens the store the options point at; with `local`, starts DynamoDB Local and creates the table.
 *
 * @example
 * ```ts
 * const conn = await connect({ endpoint: 'http://127.0.0.1:8000' });
 * try { await conn.store.partition('p').get('k') } finally { await conn.close() }
 * ```
 */
export async function connect(
  o: ConnectionOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Connection> {
  const tableName = tableNameFrom(o.table, env);
  if (o.local) {
    if (o.endpoint !== undefined) throw new ValidationError('--local', 'excludes --endpoint');
    const local = await startLocalDynamo();
    try {
      await createTable({ client: local.client, tableName });
      const store = new Dynastore({ client: local.client, tableName, ...(o.onCall && { onCall: o.onCall }) });
      return { store, client: local.client, tableName, endpoint: local.endpoint, close: () => local.stop() };
    } catch (err) {
      await local.stop();
      throw err;
    }
  }
  const config = clientConfig(o, env);
  const client = createDynamoClient({
    ...config,
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS },
  });
  const store = new Dynastore({ client, tableName, ...(o.onCall && { onCall: o.onCall }) });
  const endpoint = typeof config.endpoint === 'string' ? config.endpoint : undefined;
  return {
    store,
    client,
    tableName,
    endpoint,
    close: async () => client.destroy(),
  };
}
