import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { bundleCli, cliEnv, removeCliBundle, runCli } from './run-cli.js';

// Issue 21 item 6: lock, elect, watch, leader and leader --follow on a table of another key schema
// say how it differs (the library's TableMismatchError), not DynamoDB's raw ValidationException.

describe('dynastore CLI on a table with another key schema', { timeout: 120_000 }, () => {
  let t: DynamoTable;
  let env: NodeJS.ProcessEnv;
  const otherSchema = `cli-key-schema-${process.pid}-${Date.now().toString(36)}`;
  beforeAll(async () => {
    [t] = await Promise.all([useDynamoTable(), bundleCli()]);
    env = cliEnv(t.endpoint, t.tableName);
    // with the stream watch needs, so that watch gets as far as reading the key
    await t.client.send(
      new CreateTableCommand({
        TableName: otherSchema,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
  });
  afterAll(async () => {
    await t.client.send(new DeleteTableCommand({ TableName: otherSchema })).catch(() => undefined);
    await Promise.all([t.cleanup(), removeCliBundle()]);
  });

  it('lock, elect, watch, leader, leader --follow: exit 1 with the key schema hint', async () => {
    const runs = [
      ['lock', 'k', '--wait', '20s', '--', 'echo', 'never'],
      ['elect', 'e', '--id', 'a', '--wait', '20s', '--', 'echo', 'never'],
      ['watch', 'a/b'],
      ['leader', 'e'],
      ['leader', 'e', '--follow'],
    ];
    const results = await Promise.all(
      runs.map(async (args) => {
        const started = performance.now();
        const dashes = args.indexOf('--');
        const argv =
          dashes < 0
            ? [...args, '--table', otherSchema]
            : [...args.slice(0, dashes), '--table', otherSchema, ...args.slice(dashes)];
        const r = await runCli(argv, env);
        return { args, r, ms: performance.now() - started };
      }),
    );
    for (const { args, r, ms } of results) {
      const what = `${args.join(' ')}: ${JSON.stringify(r)}`;
      expect(r.code, what).toBe(1);
      expect(r.stdout, what).toBe('');
      expect(r.stderr, what).toMatch(
        new RegExp(
          `^dynastore: table "${otherSchema}" does not have the dynastore key schema: HASH key is 'pk' \\(S\\); expected 'id' \\(S\\); RANGE key is 'sk' \\(S\\); expected 'name' \\(S\\) .*dynastore init.*\n$`,
        ),
      );
      expect(r.stderr, what).not.toMatch(/ValidationException|number of conditions/);
      expect(ms, what).toBeLessThan(15_000); // at once, not after --wait or a retry budget
    }
  });
});
