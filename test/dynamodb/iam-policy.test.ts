import { readFileSync } from 'node:fs';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/contract/backend.js';
import { ValidationError } from '../../src/contract/errors/index.js';
import { createTable } from '../../src/dynamodb/create-table.js';
import { IAM_ACTIONS, type IamPolicyDocument, iamPolicy } from '../../src/dynamodb/iam-policy.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { dynamoEndpoint } from '../support/dynamo.js';

async function until(done: () => boolean, ms = 10_000): Promise<void> {
  const end = performance.now() + ms;
  while (!done()) {
    if (performance.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One call as IAM authorizes it: the action and the resource it acts on. */
interface Authorized {
  readonly action: string;
  readonly resource: string;
  /** The partition key values of the rows it reads or writes (item actions). */
  readonly leadingKeys: readonly string[];
}

const TRANSACT_ACTIONS: Readonly<Record<string, string>> = {
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Put: 'dynamodb:PutItem',
};
const STREAM_OPERATIONS = new Set(['DescribeStream', 'GetShardIterator', 'GetRecords', 'ListStreams']);

/** The DynamoDB Local table ARN of `name` (its Region and account). */
const arnOf = (name: string) => `arn:aws:dynamodb:ddblocal:000000000000:table/${name}`;

interface KeyShape {
  Key?: { id?: { S?: string } };
  ExpressionAttributeValues?: Record<string, { S?: string }>;
  KeyConditionExpression?: string;
}

function keysOf(input: KeyShape): string[] {
  if (input.Key?.id?.S !== undefined) return [input.Key.id.S];
  if (input.KeyConditionExpression) {
    const m = /#\w+\s*=\s*(:\w+)/.exec(input.KeyConditionExpression);
    const v = m?.[1] ? input.ExpressionAttributeValues?.[m[1]]?.S : undefined;
    return v === undefined ? [] : [v];
  }
  return [];
}

/**
 * A client that records every DynamoDB command it sends as IAM actions (a transaction as the
 * actions of its items: IAM has no TransactWriteItems action).
 */
function recordingClient(endpoint: string, calls: Authorized[]): DynamoDBClient {
  const client = localDynamoClient(endpoint);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const op = (context.commandName ?? '').replace(/Command$/, '');
      const input = args.input as {
        TableName?: string;
        TransactItems?: Record<string, KeyShape & { TableName?: string }>[];
      } & KeyShape;
      if (op === 'TransactWriteItems') {
        for (const item of input.TransactItems ?? []) {
          for (const [kind, body] of Object.entries(item)) {
            calls.push({
              action: TRANSACT_ACTIONS[kind] ?? `dynamodb:?${kind}`,
              resource: arnOf(body.TableName ?? '?'),
              leadingKeys: keysOf(body),
            });
          }
        }
      } else {
        calls.push({
          action: `dynamodb:${op}`,
          resource: arnOf(input.TableName ?? '?'),
          leadingKeys: keysOf(input),
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordIamActions' },
  );
  return client;
}

const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.*')}$`,
  );

/** Whether `policy` allows `call` (Allow statements only, as iamPolicy writes them). */
function allows(policy: IamPolicyDocument, call: Authorized): boolean {
  return policy.Statement.some((s) => {
    const resources = typeof s.Resource === 'string' ? [s.Resource] : s.Resource;
    if (!s.Action.includes(call.action) || !resources.some((r) => glob(r).test(call.resource))) return false;
    const like = s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
    return !like || call.leadingKeys.every((k) => like.some((p) => glob(p).test(k)));
  });
}

describe('the IAM policy is complete and exact', () => {
  let endpoint: string;
  const calls: Authorized[] = [];
  const events: CallEvent[] = [];
  let client: DynamoDBClient;
  let raw: DynamoDBClient;
  const tableName = `iam-${Date.now().toString(36)}`;
  const bare = `${tableName}-bare`;

  beforeAll(async () => {
    endpoint = await dynamoEndpoint();
    client = recordingClient(endpoint, calls);
    raw = localDynamoClient(endpoint);
  });
  afterAll(() => {
    client.destroy();
    raw.destroy();
  });

  it('drives every feature once, records each call, and finds each in the policy (and nothing more)', async () => {
    // createTable: a new table; then an existing one without stream or TTL (UpdateTable)
    await createTable({ client, tableName });
    await raw.send(
      new CreateTableCommand({
        TableName: bare,
        AttributeDefinitions: [
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: 'name', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'id', KeyType: 'HASH' },
          { AttributeName: 'name', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await createTable({ client, tableName: bare });

    const store = new Dynastore({ client, tableName, onCall: (e) => events.push(e) });
    const short = { leaseMs: 1_500, heartbeatMs: 400, maxClockSkewMs: 100 };
    // key-value
    const kv = store.partition('config');
    const seen: string[] = [];
    let snapshot: () => void = () => {};
    const snapshotSeen = new Promise<void>((resolve) => {
      snapshot = resolve;
    });
    const watching = kv.watch('a').subscribe((e) => {
      seen.push(e.type);
      snapshot();
    });
    await snapshotSeen;
    const pair = await kv.put('a', 'v', { ttlMs: 60_000 });
    await until(() => seen.length === 2);
    watching.unsubscribe();
    expect(seen).toEqual(['delete', 'put']);
    await kv.get('a');
    await kv.listPage();
    for await (const _ of kv.list({ prefix: 'a' })) break;
    const next = await kv.atomicPut('a', 'w', { previous: pair });
    await kv.atomicPut('b', 'v');
    await kv.atomicDelete('a', next);
    await kv.delete('b');
    // locks: grant, renewal, release, a waiter woken by the stream, fenced writes
    const lock = store.lock('job', short);
    const lease = await lock.acquire();
    await lease.renew();
    await kv.put('fenced', 'v', { fence: lease });
    await kv.delete('fenced', { fence: lease });
    const waiting = store.lock('job', short).acquire({ waitMs: 10_000 });
    setTimeout(() => void lease.release(), 200);
    await (await waiting).release();
    await lock.holder();
    // semaphore, election
    const permit = await store.semaphore('pool', { permits: 2, ...short }).acquire();
    await store.semaphore('pool', { permits: 2, ...short }).holders();
    await permit.release();
    const election = store.election('leader', short);
    const leadership = await election.campaign('n1');
    await election.leader();
    await firstValueFrom(election.observe());
    await leadership.resign();
    // sessions: open, a lock through it, close; then a dead session's lock taken over (transaction)
    const live = await store.session({ leaseMs: 1_500, maxClockSkewMs: 100 });
    await (await live.lock('s-job').acquire()).release();
    await live.close();
    const dying = await store.session({ leaseMs: 1_000, heartbeatMs: false, maxClockSkewMs: 100 });
    await dying.lock('orphan').acquire();
    const taken = await store.lock('orphan', short).acquire({ waitMs: 10_000 });
    await taken.release();
    await dying.close().catch(() => undefined);

    // the Streams calls go through the Streams client: onCall reports them
    const arn = arnOf(tableName);
    for (const e of events) {
      if (STREAM_OPERATIONS.has(e.operation)) {
        calls.push({
          action: `dynamodb:${e.operation}`,
          resource: `${arn}/stream/2026-01-01T00:00:00.000`,
          leadingKeys: [],
        });
      }
    }
    const policy = iamPolicy({ tableName });
    const policyBare = iamPolicy({ tableName: bare });
    const denied = calls.filter((c) => !allows(c.resource.endsWith(`/${bare}`) ? policyBare : policy, c));
    expect(denied).toEqual([]);
    // exact: every action the policy grants was used (no PutItem, no wildcard)
    const used = new Set(calls.map((c) => c.action));
    const granted = policy.Statement.flatMap((s) => s.Action);
    expect(granted.filter((a) => !used.has(a))).toEqual([]);
    expect(granted.some((a) => a.includes('*'))).toBe(false);
    expect(used.has('dynamodb:PutItem')).toBe(false);
    expect(used.has('dynamodb:UpdateTable')).toBe(true);
    // the operations onCall reported are all in the recording too
    const recorded = new Set(calls.map((c) => c.action));
    for (const e of events)
      expect(
        recorded.has(`dynamodb:${e.operation === 'TransactWriteItems' ? 'ConditionCheckItem' : e.operation}`),
      ).toBe(true);
  }, 60_000);

  it('a tenant whose partitions all start with its prefix stays inside the LeadingKeys condition', async () => {
    calls.length = 0;
    const store = new Dynastore({ client, tableName });
    const tenant = 'tenant-a/';
    const short = { leaseMs: 1_500, heartbeatMs: 400, maxClockSkewMs: 100, prefix: tenant };
    const kv = store.partition(`${tenant}config`);
    const pair = await kv.put('k', 'v');
    await kv.atomicPut('k', 'w', { previous: pair });
    await kv.listPage();
    const lease = await store.lock('job', short).acquire();
    await kv.put('f', 'v', { fence: lease });
    await lease.release();
    const permit = await store.semaphore('pool', { permits: 2, ...short }).acquire();
    await permit.release();
    const election = store.election('leader', short);
    const term = await election.campaign('node-1');
    await term.resign();
    const session = await store.session({ ...short, prefix: tenant });
    const held = await session.lock('shared').acquire();
    await held.release();
    await session.close();
    // a work group under the prefix: member keys, shard locks, the member list and the assignment
    const groupSession = await store.session(short);
    const group = store.workGroup('encoders', { shards: 4, prefix: tenant });
    const member = await group.join(groupSession, { id: 'w1', onShard: () => undefined });
    await until(() => member.owned().length === 4);
    expect(await group.members()).toEqual(['w1']);
    expect([...(await group.assignment()).values()]).toEqual(['w1', 'w1', 'w1', 'w1']);
    await member.leave();
    await groupSession.close();
    const policy = iamPolicy({ tableName, prefix: tenant });
    const groupRows = calls.filter((c) => c.leadingKeys.some((k) => k.includes('_workgroups/encoders')));
    expect(groupRows.length).toBeGreaterThan(4);
    const items = calls.filter((c) => (IAM_ACTIONS.items as readonly string[]).includes(c.action));
    expect(items.length).toBeGreaterThan(5);
    expect(items.filter((c) => !allows(policy, c))).toEqual([]);
    // and another tenant's row is outside it
    expect(
      allows(policy, {
        action: 'dynamodb:GetItem',
        resource: arnOf(tableName),
        leadingKeys: ['tenant-b/config'],
      }),
    ).toBe(false);
  }, 60_000);

  it("refuses a work group whose prefix is not its member's session's, before any write", async () => {
    const store = new Dynastore({ client, tableName });
    const session = await store.session({
      leaseMs: 1_500,
      heartbeatMs: 400,
      maxClockSkewMs: 100,
      prefix: 'tenant-a/',
    });
    try {
      calls.length = 0;
      const group = store.workGroup('encoders', { shards: 4 });
      expect(() => group.join(session, { onShard: () => undefined })).toThrow(ValidationError);
      expect(() => group.join(session, { onShard: () => undefined })).toThrow(
        /prefix "tenant-a\/".*prefix ""/,
      );
      expect(calls.filter((c) => c.leadingKeys.some((k) => k.includes('_workgroups')))).toEqual([]);
    } finally {
      await session.close();
    }
  });
});

describe('iamPolicy (unit)', () => {
  it('docs/aws.md shows the policy iamPolicy builds', () => {
    const page = readFileSync(new URL('../../docs/aws.md', import.meta.url), 'utf8');
    const marker = page.indexOf('<!-- iam-policy:');
    expect(marker).toBeGreaterThan(0);
    const block = /```json\n([\s\S]*?)\n```/.exec(page.slice(marker));
    expect(JSON.parse(block?.[1] ?? 'null')).toEqual(
      iamPolicy({ tableName: 'dynastore', region: 'eu-west-1', account: '123456789012' }),
    );
    expect(page).not.toMatch(/`PutItem`, `UpdateItem`/); // the old, untrue list
  });

  it('names the table and its streams, defaults Region and account to *, and conditions only the item actions', () => {
    const p = iamPolicy({ tableName: 'jobs', region: 'eu-west-1', account: '123456789012', prefix: 't1/' });
    expect(p.Version).toBe('2012-10-17');
    const [items, table, stream] = p.Statement;
    expect(items?.Resource).toBe('arn:aws:dynamodb:eu-west-1:123456789012:table/jobs');
    expect(items?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['t1/*'] } });
    expect(table?.Condition).toBeUndefined();
    expect(stream?.Resource).toBe('arn:aws:dynamodb:eu-west-1:123456789012:table/jobs/stream/*');
    expect(stream?.Condition).toBeUndefined();
    expect(iamPolicy({ tableName: 'jobs' }).Statement[0]?.Resource).toBe('arn:aws:dynamodb:*:*:table/jobs');
  });

  it('--no-watch and --no-create leave those actions out', () => {
    const p = iamPolicy({ tableName: 'jobs', watch: false, create: false });
    expect(p.Statement.flatMap((s) => s.Action).sort()).toEqual(
      [...IAM_ACTIONS.items, ...IAM_ACTIONS.table].sort(),
    );
  });

  it('refuses bad input', () => {
    expect(() => iamPolicy({ tableName: 'x' })).toThrow(ValidationError);
    expect(() => iamPolicy({ tableName: 'jobs', account: '12' })).toThrow(/12-digit/);
    expect(() => iamPolicy({ tableName: 'jobs', region: 'Europe' })).toThrow(/Region/);
    expect(() => iamPolicy({ tableName: 'jobs', prefix: 'a*' })).toThrow(/wildcards/);
    expect(() => iamPolicy({ tableName: 'jobs', prefix: '' })).toThrow(ValidationError);
    expect(() => iamPolicy({ tableName: 'jobs', bogus: 1 } as never)).toThrow(/unknown option/);
  });
});
