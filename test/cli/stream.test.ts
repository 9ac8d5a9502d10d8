import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceStreamHint } from '../../src/cli/hints.js';
import { StreamDisabledError } from '../../src/contract/errors/watch.js';
import { createTable } from '../../src/dynamodb/create-table.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { TableMismatchError } from '../../src/index.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { bundleCli, cliEnv, removeCliBundle, runCli } from './run-cli.js';

/** A table with the dynastore key schema and a KEYS_ONLY stream. */
async function keysOnlyTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [
        { AttributeName: 'id', KeyType: 'HASH' },
        { AttributeName: 'name', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'name', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' },
    }),
  );
}

async function streamOf(client: DynamoDBClient, tableName: string) {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  return { status: Table?.TableStatus, spec: Table?.StreamSpecification, arn: Table?.LatestStreamArn };
}

async function untilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let i = 0; (await streamOf(client, tableName)).status !== 'ACTIVE'; i++) {
    if (i > 200) throw new Error(`${tableName} never became ACTIVE`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a table whose stream is KEYS_ONLY: every fix suggested is one DynamoDB accepts', {
  timeout: 120_000,
}, () => {
  let t: DynamoTable;
  let env: NodeJS.ProcessEnv;
  const tables: string[] = [];
  const fresh = async (label: string) => {
    const name = `${label}-${process.pid}-${tables.length}`;
    tables.push(name);
    await keysOnlyTable(t.client, name);
    return name;
  };
  beforeAll(async () => {
    [t] = await Promise.all([useDynamoTable(), bundleCli()]);
    env = cliEnv(t.endpoint, t.tableName);
  });
  afterAll(async () => {
    for (const TableName of tables)
      await t.client.send(new DeleteTableCommand({ TableName })).catch(() => {});
    await Promise.all([t.cleanup(), removeCliBundle()]);
  });

  it('the steps the library gives work on DynamoDB Local, and the shortcut it used to suggest does not', async () => {
    const table = await fresh('steps');
    // what StreamDisabledError used to suggest: refused while the KEYS_ONLY stream is enabled
    const shortcut = await t.client
      .send(
        new UpdateTableCommand({
          TableName: table,
          StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
        }),
      )
      .catch((e: unknown) => e);
    expect((shortcut as Error).name).toBe('ValidationException');

    await expect(
      createTable({ client: t.client, tableName: table, replaceStream: 'yes' as unknown as boolean }),
    ).rejects.toThrow(/replaceStream: must be true or false/);
    const err = await createTable({ client: t.client, tableName: table }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TableMismatchError);
    const message = (err as Error).message;
    expect(message).toContain(`table '${table}' has a KEYS_ONLY stream; dynastore needs NEW_AND_OLD_IMAGES.`);
    expect(message).toContain(
      `UpdateTable { TableName: '${table}', StreamSpecification: { StreamEnabled: false } }`,
    );
    expect(message).toContain('`dynastore init --replace-stream`');

    const store = new Dynastore({ client: t.client, tableName: table });
    const watchErr = await new Promise<unknown>((resolve) => {
      store
        .partition('p')
        .watch('k')
        .subscribe({ next: () => resolve('an event'), error: resolve });
    });
    expect(watchErr).toBeInstanceOf(StreamDisabledError);
    expect((watchErr as StreamDisabledError).viewType).toBe('KEYS_ONLY');
    expect((watchErr as Error).message).toContain('StreamEnabled: false');

    // follow the steps as written: disable, wait until ACTIVE, enable NEW_AND_OLD_IMAGES
    await t.client.send(
      new UpdateTableCommand({ TableName: table, StreamSpecification: { StreamEnabled: false } }),
    );
    await untilActive(t.client, table);
    await t.client.send(
      new UpdateTableCommand({
        TableName: table,
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    await untilActive(t.client, table);
    expect((await streamOf(t.client, table)).spec).toEqual({
      StreamEnabled: true,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
    expect(await createTable({ client: t.client, tableName: table })).toMatchObject({
      created: false,
      enabledStream: false,
      replacedStream: false,
    });
  });

  it('watch and leader --follow suggest init --replace-stream; init says so too; init --replace-stream fixes it', async () => {
    const table = await fresh('cli');
    const hint = replaceStreamHint(table, 'KEYS_ONLY');
    expect(hint).toContain('`dynastore init --replace-stream`');
    for (const args of [
      ['watch', 'a/b'],
      ['leader', 'e', '--follow'],
    ]) {
      const r = await runCli([...args, '--table', table], env);
      expect(r, args.join(' ')).toMatchObject({ code: 1, stderr: `dynastore: ${hint}\n` });
    }
    const init = await runCli(['init', '--table', table], env);
    expect(init).toMatchObject({
      code: 1,
      stderr: `dynastore: ${hint.replace('this command', 'dynastore')}\n`,
    });
    const before = await streamOf(t.client, table);
    const replaced = await runCli(['init', '--table', table, '--replace-stream'], env);
    expect(replaced).toMatchObject({
      code: 0,
      stdout: `table "${table}" updated: its stream was replaced by a NEW_AND_OLD_IMAGES one\n`,
    });
    const after = await streamOf(t.client, table);
    expect(after.spec).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(after.arn).not.toBe(before.arn);
    // idempotent afterwards, and watch works
    expect((await runCli(['init', '--table', table, '--replace-stream'], env)).stdout).toBe(
      `table "${table}" already there\n`,
    );
    await runCli(['put', 'a/b', 'v', '--table', table], env);
    const watched = await runCli(['watch', 'a/b', '--count', '1', '--table', table], env);
    expect(watched).toMatchObject({ code: 0, stdout: 'a/b = "v" (v1, snapshot)\n' });
  });
});
