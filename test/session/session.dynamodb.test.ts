import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/contract/backend.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { dynamoHarness, type Harness } from '../contract/harness.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { sessionContract } from './session-contract.js';

const t = { leaseMs: 1_500, heartbeatMs: 400, maxClockSkewMs: 150 };

describe('sessions on DynamoDB Local (short leases)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await dynamoHarness();
    // the first calls on a fresh table and client are slow (connection, DynamoDB Local's JIT):
    // warm up before any lease's clock starts
    const kv = h.store().partition('warm-up');
    for (let i = 0; i < 5; i++) await Promise.all(Array.from({ length: 5 }, (_, j) => kv.put(`k${j}`, 'v')));
  });
  sessionContract(() => h, t);
});

describe('the takeover transaction on DynamoDB Local', () => {
  let table: DynamoTable;
  beforeAll(async () => {
    table = await useDynamoTable();
  });
  afterAll(() => table.cleanup());

  it('an answer lost after TransactWriteItems applied (SDK middleware) is settled by reading the row back', async () => {
    // the look for old-layout processes is counted in test/lock/legacy-layout.dynamodb.test.ts
    const owner = new Dynastore({
      client: table.client,
      tableName: table.tableName,
      legacyLayoutCheckMs: false,
    });
    const session = await owner.session({ ...t, heartbeatMs: false });
    await session.lock('lost-answer').acquire({ waitMs: 0 });
    await new Promise((r) => setTimeout(r, t.leaseMs + t.maxClockSkewMs + 50)); // dead by rule (a)
    const client = localDynamoClient(table.endpoint, { maxAttempts: 1 });
    let loseNext = true;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (loseNext && context.commandName === 'TransactWriteItemsCommand') {
          loseNext = false;
          throw Object.assign(new Error('socket hang up after the request was sent'), {
            name: 'TimeoutError',
          });
        }
        return result;
      },
      { step: 'initialize', name: 'lostTransactAnswer' },
    );
    const calls: CallEvent[] = [];
    const contender = new Dynastore({
      client,
      tableName: table.tableName,
      onCall: (e) => calls.push(e),
      legacyLayoutCheckMs: false,
    });
    const lease = await contender.lock('lost-answer', t).acquire({ waitMs: 5_000 });
    expect(loseNext).toBe(false);
    // the table's mode (once per store), blind grant (refused), the session row, the transaction
    // (answer lost), the read back
    expect(calls.map((c) => c.operation)).toEqual([
      'DescribeTable',
      'UpdateItem',
      'GetItem',
      'TransactWriteItems',
      'GetItem',
    ]);
    expect(await owner.lock('lost-answer', t).holder()).toMatchObject({
      owner: lease.owner,
      token: lease.token,
    });
    await lease.release();
    await session.close();
    client.destroy();
  });
});
