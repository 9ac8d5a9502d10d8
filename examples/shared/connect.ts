/**
 * How the examples reach DynamoDB: the usual AWS environment (`AWS_ENDPOINT_URL_DYNAMODB`,
 * `AWS_REGION`, credentials) and `DYNASTORE_TABLE` (default `dynastore`), exactly as the
 * `dynastore` CLI does. With no endpoint configured they start an embedded DynamoDB Local of their
 * own (needs Java 17+), so each example also runs alone.
 *
 * In your project, import from 'dynastore' and 'dynastore/testing' instead of '../../src/...'.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable, Dynastore } from '../../src/index.js';
import { silenceNodeVersionWarning, startLocalDynamo } from '../../src/testing.js';

/** An open store and how to close it. */
export interface ExampleStore {
  readonly store: Dynastore;
  readonly endpoint: string | undefined;
  close(): Promise<void>;
}

/** Sets region and dummy credentials for a DynamoDB Local endpoint, unless already set. */
export function useLocalDefaults(): void {
  process.env.AWS_REGION ??= 'us-east-1';
  if (!process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE) {
    process.env.AWS_ACCESS_KEY_ID = 'dynastore';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
  }
}

/** Connects as described above; creates the table on an embedded DynamoDB Local. */
export async function connectFromEnv(): Promise<ExampleStore> {
  silenceNodeVersionWarning();
  const tableName = process.env.DYNASTORE_TABLE ?? 'dynastore';
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB ?? process.env.AWS_ENDPOINT_URL;
  if (endpoint) {
    if (/\/\/(localhost|127\.0\.0\.1|\[::1\])[:/]/.test(endpoint)) useLocalDefaults();
    const client = new DynamoDBClient({ endpoint });
    return { store: new Dynastore({ client, tableName }), endpoint, close: async () => client.destroy() };
  }
  console.error('(no AWS_ENDPOINT_URL_DYNAMODB: starting an embedded DynamoDB Local for this process)');
  const local = await startLocalDynamo();
  useLocalDefaults(); // for clients built from the environment (the Lambda handler)
  await createTable({ client: local.client, tableName });
  return {
    store: new Dynastore({ client: local.client, tableName }),
    endpoint: local.endpoint,
    close: () => local.stop(),
  };
}

/** An AbortSignal that aborts on SIGINT or SIGTERM (the first one; a second exits at once). */
export function shutdownSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(sig === 'SIGINT' ? 130 : 143);
    controller.abort(new Error(sig));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}
