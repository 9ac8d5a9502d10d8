import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/contract/backend.js';
import {
  BackendError,
  ErrorCode,
  GlobalTableError,
  ValidationError,
} from '../../src/contract/errors/index.js';
import { isRetryableAwsError } from '../../src/dynamodb/errors.js';
import { guardResends, type MiddlewareAdder } from '../../src/dynamodb/retry-guard.js';
import { refusal, tableModeOf } from '../../src/dynamodb/table-mode.js';
import { Dynastore, type DynastoreOptions } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';

type Shape =
  | { Replicas?: { RegionName: string }[]; MultiRegionConsistency?: 'EVENTUAL' | 'STRONG' }
  | 'denied';

/**
 * A client whose DescribeTable answers as a global table of `shape` would (DynamoDB Local has no
 * replicas: the real answer, with the replica fields added), recording every command it sends.
 */
function globalClient(endpoint: string, shape: Shape, sent: string[], failFirst = false): DynamoDBClient {
  const client = localDynamoClient(endpoint, { maxAttempts: 1 });
  let failures = failFirst ? 1 : 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(context.commandName ?? '?');
      if (context.commandName !== 'DescribeTableCommand') return next(args);
      if (failures > 0) {
        failures--;
        throw Object.assign(new Error('We encountered an internal error. Please try again.'), {
          name: 'InternalServerError',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
        });
      }
      if (shape === 'denied') {
        throw Object.assign(
          new Error('User: arn:aws:iam::1:user/u is not authorized to perform: dynamodb:DescribeTable'),
          { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 } },
        );
      }
      const out = await next(args);
      const output = out.output as { Table?: object };
      const version = shape.Replicas ? { GlobalTableVersion: '2019.11.21' } : {};
      output.Table = { ...output.Table, ...version, ...shape };
      return out;
    },
    { step: 'initialize', name: 'fakeGlobalTable' },
  );
  return client;
}

const MREC: Shape = { Replicas: [{ RegionName: 'us-east-1' }, { RegionName: 'eu-west-1' }] };
const MRSC: Shape = {
  Replicas: [{ RegionName: 'us-east-1' }, { RegionName: 'us-east-2' }],
  MultiRegionConsistency: 'STRONG',
};
const WRITES = new Set([
  'UpdateItemCommand',
  'DeleteItemCommand',
  'TransactWriteItemsCommand',
  'PutItemCommand',
]);
const lease = { leaseMs: 2_000, heartbeatMs: 500 };

async function refused(work: Promise<unknown>): Promise<GlobalTableError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GlobalTableError);
  expect((err as GlobalTableError).code).toBe(ErrorCode.GlobalTable);
  expect((err as GlobalTableError).code).toBe('GLOBAL_TABLE');
  return err as GlobalTableError;
}

describe('global tables', () => {
  let t: DynamoTable;
  let plain: Dynastore;
  beforeAll(async () => {
    t = await useDynamoTable();
    plain = new Dynastore({ client: t.client, tableName: t.tableName });
  });
  afterAll(() => t.cleanup());

  const store = (shape: Shape, sent: string[], options: Partial<DynastoreOptions> = {}, failFirst = false) =>
    new Dynastore({
      client: globalClient(t.endpoint, shape, sent, failFirst),
      tableName: t.tableName,
      ...options,
    });

  it('MREC: every operation that relies on a conditional write is refused before any write', async () => {
    const sent: string[] = [];
    const s = store(MREC, sent);
    const kv = s.partition('mrec');
    const pair = await kv.put('a', 'v'); // plain put works
    sent.length = 0;
    const lockErr = await refused(s.lock('mrec-lock', lease).acquire({ waitMs: 1_000 }));
    expect(lockErr.mode).toBe('MREC');
    expect(lockErr.use).toBe('conditional-write');
    expect(lockErr.replicas).toEqual(['us-east-1', 'eu-west-1']);
    expect(lockErr.tableName).toBe(t.tableName);
    expect(lockErr.message).toMatch(/multi-Region eventual consistency/);
    expect(lockErr.message).toMatch(/last-writer-wins/);
    expect(lockErr.message).toMatch(/globalTable: 'single-writer-region'/);
    await refused(s.lock('mrec-lock', lease).tryAcquire());
    await refused(s.semaphore('mrec-sem', { permits: 2, ...lease }).acquire({ waitMs: 1_000 }));
    await refused(s.election('mrec-election', lease).campaign('n1', { waitMs: 1_000 }));
    expect((await refused(s.session(lease))).use).toBe('session');
    await refused(kv.atomicPut('b', 'v'));
    await refused(kv.atomicPut('a', 'w', { previous: pair }));
    await refused(kv.atomicDelete('a', pair));
    const held = await plain.lock('mrec-fence', lease).acquire();
    try {
      expect((await refused(kv.put('f', 'v', { fence: held }))).use).toBe('transaction');
      await refused(kv.delete('f', { fence: held }));
    } finally {
      await held.release();
    }
    // nothing was written, and the table's mode was asked once
    expect(sent.filter((c) => WRITES.has(c))).toEqual([]);
    expect(sent.filter((c) => c === 'DescribeTableCommand')).toHaveLength(1);
    // put, get, list, delete and watch keep working
    await kv.put('a', 'w');
    expect((await kv.get('a'))?.text()).toBe('w');
    expect((await kv.listPage()).items.map((p) => p.key)).toEqual(['a']);
    expect(await kv.delete('a')).toBe(true);
    const first = await firstValueFrom(kv.watch('a'));
    expect(first.type).toBe('delete');
  });

  it('MREC with globalTable: single-writer-region: the team accepted the risk, everything works', async () => {
    const sent: string[] = [];
    const s = store(MREC, sent, { globalTable: 'single-writer-region' });
    const held = await s.lock('accepted', lease).acquire({ waitMs: 2_000 });
    await s.partition('accepted').put('f', 'v', { fence: held });
    await held.release();
    const session = await s.session(lease);
    await session.close();
    expect(sent.filter((c) => c === 'DescribeTableCommand')).toHaveLength(1);
  });

  it('MRSC: conditional writes work; transactions (fence) and sessions are refused with the reason', async () => {
    const sent: string[] = [];
    const s = store(MRSC, sent);
    const held = await s.lock('mrsc-lock', lease).acquire({ waitMs: 2_000 });
    const kv = s.partition('mrsc');
    const pair = await kv.atomicPut('a', 'v');
    await kv.atomicDelete('a', pair);
    const leadership = await s.election('mrsc-election', lease).campaign('n1', { waitMs: 2_000 });
    await leadership.resign();
    sent.length = 0;
    const fence = await refused(kv.put('f', 'v', { fence: held }));
    expect(fence.mode).toBe('MRSC');
    expect(fence.use).toBe('transaction');
    expect(fence.message).toMatch(/does not support transactions/);
    const session = await refused(s.session(lease));
    expect(session.use).toBe('session');
    expect(session.message).toMatch(/sessions are refused/);
    expect(sent.filter((c) => WRITES.has(c))).toEqual([]);
    await held.release();
  });

  it('a single-Region table: one DescribeTable per store, then nothing more on the hot path', async () => {
    const events: CallEvent[] = [];
    const s = new Dynastore({ client: t.client, tableName: t.tableName, onCall: (e) => events.push(e) });
    const kv = s.partition('single');
    await kv.put('k', 'v'); // a plain put does not ask
    expect(events.map((e) => e.operation)).toEqual(['UpdateItem']);
    for (let i = 0; i < 5; i++) await kv.atomicPut(`n${i}`, 'v');
    const held = await s.lock('single', lease).acquire();
    await held.release();
    const ops = events.map((e) => e.operation);
    expect(ops.filter((o) => o === 'DescribeTable')).toHaveLength(1);
    expect(ops.slice(0, 3)).toEqual(['UpdateItem', 'DescribeTable', 'UpdateItem']);
  });

  it('concurrent first uses share one DescribeTable', async () => {
    const sent: string[] = [];
    const s = store({}, sent);
    const kv = s.partition('concurrent');
    await Promise.all(Array.from({ length: 8 }, (_, i) => kv.atomicPut(`c${i}`, 'v')));
    expect(sent.filter((c) => c === 'DescribeTableCommand')).toHaveLength(1);
  });

  it('DescribeTable denied: refused (the mode is unknown), asked again next time; accepted with the option', async () => {
    const sent: string[] = [];
    const s = store('denied', sent);
    const err = await refused(s.lock('denied', lease).tryAcquire());
    expect(err.mode).toBe('unknown');
    expect(err.message).toMatch(/DescribeTable was denied/);
    expect(err.message).toMatch(/dynastore iam-policy/);
    expect((err.cause as BackendError).cause).toMatchObject({ name: 'AccessDeniedException' });
    await refused(s.partition('denied').atomicPut('k', 'v'));
    expect(sent.filter((c) => c === 'DescribeTableCommand')).toHaveLength(2);
    expect(sent.filter((c) => WRITES.has(c))).toEqual([]);
    const accepted = store('denied', [], { globalTable: 'single-writer-region' });
    const held = await accepted.lock('denied', lease).acquire({ waitMs: 2_000 });
    await held.release();
  });

  it('a DescribeTable that fails for now is retried by the waiting acquire, like any store call', async () => {
    const sent: string[] = [];
    const s = store({}, sent, {}, true);
    const held = await s.lock('transient', lease).acquire({ waitMs: 5_000 });
    await held.release();
    expect(sent.filter((c) => c === 'DescribeTableCommand')).toHaveLength(2);
    // tryAcquire does not wait: the look-up's BackendError is the answer
    const once = store({}, [], {}, true);
    const err = await once
      .lock('transient-2', lease)
      .tryAcquire()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).operation).toBe('DescribeTable');
  });

  it('the memory backend is never global, and the option is checked', async () => {
    const mem = new Dynastore({ backend: new MemoryBackend() });
    await (await mem.session(lease)).close();
    expect(
      () =>
        new Dynastore({
          client: t.client,
          tableName: t.tableName,
          globalTable: 'yes' as unknown as 'refuse',
        }),
    ).toThrow(ValidationError);
    expect(() => new Dynastore({ backend: new MemoryBackend(), globalTable: 'refuse' })).toThrow(
      ValidationError,
    );
  });
});

describe('table modes (unit)', () => {
  it('reads DescribeTable', () => {
    expect(tableModeOf({})).toEqual({ mode: 'single-region', replicas: [] });
    expect(tableModeOf({ Replicas: [] })).toEqual({ mode: 'single-region', replicas: [] });
    expect(tableModeOf({ Replicas: [{ RegionName: 'a' }] })).toEqual({ mode: 'MREC', replicas: ['a'] });
    expect(tableModeOf({ GlobalTableVersion: '2019.11.21' }).mode).toBe('MREC');
    expect(tableModeOf({ Replicas: [{ RegionName: 'a' }], MultiRegionConsistency: 'EVENTUAL' }).mode).toBe(
      'MREC',
    );
    expect(tableModeOf({ Replicas: [{ RegionName: 'a' }], MultiRegionConsistency: 'STRONG' }).mode).toBe(
      'MRSC',
    );
  });

  it('decides per use', () => {
    const mrsc = { mode: 'MRSC', replicas: [] } as const;
    expect(refusal('t', mrsc, 'conditional-write', 'refuse')).toBeUndefined();
    expect(refusal('t', mrsc, 'transaction', 'single-writer-region')).toMatch(/transactions/);
    expect(refusal('t', mrsc, 'session', 'refuse')).toMatch(/sessions are refused/);
    const mrec = { mode: 'MREC', replicas: ['a'] } as const;
    for (const use of ['conditional-write', 'transaction', 'session'] as const) {
      expect(refusal('t', mrec, use, 'refuse')).toMatch(/MREC; replicas: a/);
      expect(refusal('t', mrec, use, 'single-writer-region')).toBeUndefined();
      expect(refusal('t', { mode: 'single-region', replicas: [] }, use, 'refuse')).toBeUndefined();
    }
  });

  it('MRSC write conflicts are retryable and never applied: the resend guard lets the SDK resend them', async () => {
    const conflict = Object.assign(new Error('Item is being modified in another Region'), {
      name: 'ReplicatedWriteConflictException',
    });
    expect(isRetryableAwsError(conflict)).toBe(true);
    let handler: ((next: (a: unknown) => Promise<unknown>) => (a: unknown) => Promise<unknown>) | undefined;
    const stack: MiddlewareAdder = { add: (m) => (handler = m) };
    guardResends(stack);
    let attempts = 0;
    const send = handler?.(async () => {
      attempts++;
      if (attempts === 1) throw conflict;
      return 'ok';
    });
    await expect(send?.({})).rejects.toBe(conflict);
    await expect(send?.({})).resolves.toBe('ok'); // resent: the first attempt was refused, not applied
  });
});
