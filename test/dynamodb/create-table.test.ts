import { randomBytes } from 'node:crypto';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../src/contract/errors/base.js';
import { TableMismatchError, ValidationError } from '../../src/contract/errors/store.js';
import { createTable } from '../../src/dynamodb/create-table.js';
import {
  buildCreateTableInput,
  buildEnableStreamInput,
  buildUpdateTimeToLiveInput,
  keySchemaDifferences,
  resolveKeyNames,
  streamState,
  ttlState,
} from '../../src/dynamodb/create-table-input.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { dynamoEndpoint } from '../support/dynamo.js';

const names = resolveKeyNames(undefined);
const uniqueName = (label: string) => `create-table-${label}-${randomBytes(4).toString('hex')}`;

describe('create-table input builders', () => {
  it('defaults to Go dynastore attribute names and checks overrides', () => {
    expect(names).toEqual({ partition: 'id', key: 'name', expires: 'expires' });
    expect(resolveKeyNames({ expires: 'ttl' })).toEqual({ partition: 'id', key: 'name', expires: 'ttl' });
    expect(() => resolveKeyNames({ key: 'id' })).toThrow(ValidationError);
    expect(() => resolveKeyNames({ partition: '' })).toThrow(/attributeNames.partition/);
  });

  it('builds CreateTable with the key schema, a NEW_AND_OLD_IMAGES stream and on-demand billing', () => {
    expect(buildCreateTableInput('t1x', { partition: 'pk', key: 'sk', expires: 'exp' })).toEqual({
      TableName: 't1x',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  it('builds UpdateTable (stream) and UpdateTimeToLive (expires)', () => {
    expect(buildEnableStreamInput('t1x')).toEqual({
      TableName: 't1x',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    expect(buildUpdateTimeToLiveInput('t1x', names)).toEqual({
      TableName: 't1x',
      TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires' },
    });
  });

  it('reports every key-schema difference', () => {
    const matching: TableDescription = {
      KeySchema: [
        { AttributeName: 'id', KeyType: 'HASH' },
        { AttributeName: 'name', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'name', AttributeType: 'S' },
      ],
    };
    expect(keySchemaDifferences(matching, names)).toEqual([]);
    const hashOnly: TableDescription = {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'N' }],
    };
    expect(keySchemaDifferences(hashOnly, names)).toEqual([
      "HASH key is 'pk' (N); expected 'id' (S)",
      "no RANGE key; expected 'name' (S)",
    ]);
  });

  it('classifies streams and TTL', () => {
    expect(streamState({})).toBe('missing');
    expect(streamState({ StreamSpecification: { StreamEnabled: false } })).toBe('missing');
    expect(streamState({ StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' } })).toBe(
      'other',
    );
    expect(
      streamState({ StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } }),
    ).toBe('ok');
    expect(ttlState(undefined, names)).toBe('missing');
    expect(ttlState({ TimeToLiveStatus: 'DISABLED' }, names)).toBe('missing');
    expect(ttlState({ TimeToLiveStatus: 'ENABLING', AttributeName: 'expires' }, names)).toBe('ok');
    expect(ttlState({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' }, names)).toBe('other');
  });
});

describe('createTable input validation', () => {
  const client = { send: vi.fn(async () => ({})) } as unknown as DynamoDBClient;
  const send = (client as unknown as { send: ReturnType<typeof vi.fn> }).send;

  it.each([
    ['too short', 'ab'],
    ['empty', ''],
    ['bad character', 'a table'],
    ['slash', 'a/b/c'],
    ['too long', 'x'.repeat(256)],
  ])('rejects a table name that is %s, before any call', async (_label, tableName) => {
    await expect(createTable({ client, tableName })).rejects.toBeInstanceOf(ValidationError);
    await expect(createTable({ client, tableName })).rejects.toMatchObject({
      code: ErrorCode.Validation,
      field: 'tableName',
    });
    expect(send).not.toHaveBeenCalled();
  });

  it('rejects unknown options, bad attribute names and bad timeouts before any call', async () => {
    const bogus = { client, tableName: 'good-name', bogus: 1 } as unknown as Parameters<
      typeof createTable
    >[0];
    await expect(createTable(bogus)).rejects.toThrow(/createTable.bogus: unknown option/);
    await expect(
      createTable({ client, tableName: 'good-name', attributeNames: { key: 'id' } }),
    ).rejects.toThrow(ValidationError);
    await expect(createTable({ client, tableName: 'good-name', waitTimeoutMs: -1 })).rejects.toThrow(
      ValidationError,
    );
    expect(send).not.toHaveBeenCalled();
  });
});

describe('createTable on DynamoDB Local', () => {
  let client: DynamoDBClient;
  beforeAll(async () => {
    client = localDynamoClient(await dynamoEndpoint());
  });
  afterAll(() => client.destroy());

  it('creates the table with key schema, stream and TTL, and is a no-op the second time', async () => {
    const tableName = uniqueName('new');
    const first = await createTable({ client, tableName });
    expect(first).toMatchObject({ created: true, enabledStream: false, enabledTtl: true });
    expect(first.streamArn).toMatch(/stream/);

    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'id', KeyType: 'HASH' },
      { AttributeName: 'name', KeyType: 'RANGE' },
    ]);
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: 'expires',
    });

    const spy = vi.spyOn(client, 'send');
    try {
      const second = await createTable({ client, tableName });
      expect(second).toMatchObject({ created: false, enabledStream: false, enabledTtl: false });
      expect(second.streamArn).toBe(first.streamArn);
      const sent = spy.mock.calls.map(([command]) => command.constructor.name);
      expect(sent).toEqual(['DescribeTableCommand', 'DescribeTimeToLiveCommand']);
    } finally {
      spy.mockRestore();
    }
  });

  it('honours custom attribute names', async () => {
    const tableName = uniqueName('names');
    await createTable({ client, tableName, attributeNames: { partition: 'pk', key: 'sk', expires: 'ttl' } });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.KeySchema?.map((k) => k.AttributeName)).toEqual(['pk', 'sk']);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe('ttl');
  });

  it('completes an existing table that lacks the stream and TTL', async () => {
    const tableName = uniqueName('bare');
    const { StreamSpecification: _stream, ...bare } = buildCreateTableInput(tableName, names);
    await client.send(new CreateTableCommand(bare));
    const result = await createTable({ client, tableName });
    expect(result).toMatchObject({ created: false, enabledStream: true, enabledTtl: true });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(streamState(Table ?? {})).toBe('ok');
  });

  it('refuses a table with another key schema, saying what differs', async () => {
    const tableName = uniqueName('mismatch');
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const err = await createTable({ client, tableName }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TableMismatchError);
    expect(err).toMatchObject({ code: ErrorCode.TableMismatch });
    expect((err as Error).message).toContain("HASH key is 'pk' (S); expected 'id' (S)");
    expect((err as Error).message).toContain("no RANGE key; expected 'name' (S)");
  });

  it('survives concurrent calls for the same table', async () => {
    const tableName = uniqueName('race');
    const results = await Promise.all([1, 2, 3].map(() => createTable({ client, tableName })));
    expect(results.filter((r) => r.created).length).toBeGreaterThanOrEqual(1);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
  });
});
