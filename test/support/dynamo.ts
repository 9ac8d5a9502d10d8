import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { DeleteTableCommand, type DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { expect, inject } from 'vitest';
import type { AttributeNames } from '../../src/contract/names.js';
import { createTable } from '../../src/dynamodb/create-table.js';
import { localDynamoClient } from '../../src/testing/local-client.js';

/** A fresh table on the run's shared DynamoDB Local. */
export interface DynamoTable {
  /** A client of its own (not shared with other files). */
  readonly client: DynamoDBClient;
  /** Unique in the run: `<test file>-<random>`. */
  readonly tableName: string;
  readonly endpoint: string;
  /** Deletes the table and destroys the client (optional: the DynamoDB Local dies with the run). */
  cleanup(): Promise<void>;
}

/**
 * Creates a uniquely named table with the dynastore layout (via `createTable`) on the DynamoDB
 * Local that the global setup started, with a fresh client. Call it in `beforeAll`.
 *
 * @example
 * ```ts
 * let t: DynamoTable;
 * beforeAll(async () => { t = await useDynamoTable(); });
 * afterAll(() => t.cleanup());
 * ```
 */
export async function useDynamoTable(
  options: { attributeNames?: Partial<AttributeNames>; client?: DynamoDBClientConfig } = {},
): Promise<DynamoTable> {
  const endpoint = await dynamoEndpoint();
  const client = localDynamoClient(endpoint, options.client);
  const tableName = `${fileLabel()}-${randomBytes(4).toString('hex')}`;
  await createTable({
    client,
    tableName,
    ...(options.attributeNames && { attributeNames: options.attributeNames }),
  });
  return {
    client,
    tableName,
    endpoint,
    cleanup: async () => {
      try {
        await client.send(new DeleteTableCommand({ TableName: tableName }));
      } finally {
        client.destroy();
      }
    },
  };
}

/**
 * The endpoint of the run's shared DynamoDB Local, started by the global setup's broker on the
 * first request of the run (memory-only runs never start Java).
 *
 * @example
 * ```ts
 * const client = localDynamoClient(await dynamoEndpoint());
 * ```
 */
export async function dynamoEndpoint(): Promise<string> {
  const res = await fetch(inject('dynamoBroker'));
  const body = await res.text();
  if (!res.ok) throw new Error(`the test run's DynamoDB Local did not start: ${body}`);
  return body;
}

/** The running test file's name, trimmed to table-name characters. */
function fileLabel(): string {
  const path = expect.getState().testPath ?? 'test';
  const label = basename(path)
    .replace(/\.test\.ts$/, '')
    .replace(/[^a-zA-Z0-9_.-]/g, '-')
    .slice(0, 60);
  return label.length >= 3 ? label : `t-${label}`;
}
