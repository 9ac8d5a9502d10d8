import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredItem } from '../../src/contract/backend.js';
import { DynastoreError } from '../../src/contract/errors/base.js';
import { BackendError, ValidationError } from '../../src/contract/errors/store.js';
import type { KVPair } from '../../src/contract/kv-pair.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';

/**
 * Bad input, property-based: random keys, values and options thrown at the public API. Each call
 * succeeds or rejects with a typed DynastoreError; a ValidationError comes before any store call
 * and leaves every row as it was; DynamoDB itself never has to refuse the input; a value put
 * comes back byte for byte; nothing rejects unhandled.
 */

const big = (n: number) => 'x'.repeat(n);
const anyKey = fc.oneof(
  { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      big(1024),
      big(1025),
      `${'é'.repeat(512)}`,
      `${'é'.repeat(513)}`,
      'a/b/c',
      ' ',
      '\u0000',
    ),
  },
  { weight: 1, arbitrary: fc.anything() },
);
const anyValue = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', big(400 * 1024 - 200), big(400 * 1024 + 1), new Uint8Array(0)),
  },
  { weight: 1, arbitrary: fc.anything() },
);
const anyDuration = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: -10, max: 10 }),
  fc.constantFrom(0, 1, 60_000, 3_600_000, Number.NaN, Number.POSITIVE_INFINITY, -1, 1e300, 2 ** 53),
  fc.double(),
  fc.anything(),
);
const anyOptions = (names: string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    {
      weight: 4,
      arbitrary: fc.record(Object.fromEntries(names.map((n) => [n, anyDuration])), { requiredKeys: [] }),
    },
    { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.anything(), { maxKeys: 2 }) },
    { weight: 1, arbitrary: fc.anything() },
  );

type Call =
  | { op: 'put'; key: unknown; value: unknown; options: unknown }
  | { op: 'atomicPut'; key: unknown; value: unknown; options: unknown; usePrevious: boolean }
  | { op: 'get' | 'exists' | 'delete'; key: unknown; options: unknown }
  | { op: 'atomicDelete'; key: unknown; usePrevious: boolean }
  | { op: 'listPage' | 'list'; options: unknown }
  | { op: 'partition'; name: unknown }
  | { op: 'lock'; key: unknown; options: unknown };

const anyCall: fc.Arbitrary<Call> = fc.oneof(
  fc.record({
    op: fc.constant('put' as const),
    key: anyKey,
    value: anyValue,
    options: anyOptions(['ttlMs']),
  }),
  fc.record({
    op: fc.constant('atomicPut' as const),
    key: anyKey,
    value: anyValue,
    options: anyOptions(['ttlMs']),
    usePrevious: fc.boolean(),
  }),
  fc.record({
    op: fc.constantFrom('get' as const, 'exists' as const, 'delete' as const),
    key: anyKey,
    options: anyOptions(['consistent']),
  }),
  fc.record({ op: fc.constant('atomicDelete' as const), key: anyKey, usePrevious: fc.boolean() }),
  fc.record({
    op: fc.constantFrom('listPage' as const, 'list' as const),
    options: anyOptions(['limit', 'pageSize', 'prefix', 'cursor']),
  }),
  fc.record({ op: fc.constant('partition' as const), name: anyKey }),
  fc.record({
    op: fc.constant('lock' as const),
    key: anyKey,
    options: anyOptions(['leaseMs', 'heartbeatMs', 'maxClockSkewMs', 'pollMs', 'retentionMs']),
  }),
);

interface Subject {
  readonly store: Dynastore;
  calls(): number;
  rows(partition: string): Promise<readonly StoredItem[]>;
}

/** Runs one call the way a careless caller would (casts included), normalised to a promise. */
async function invoke(
  s: Subject,
  partition: string,
  call: Call,
  last: Map<unknown, KVPair>,
): Promise<unknown> {
  const kv = s.store.partition(partition);
  const a = (x: unknown) => x as never;
  switch (call.op) {
    case 'put':
      return kv.put(a(call.key), a(call.value), a(call.options));
    case 'atomicPut': {
      const previous = call.usePrevious ? last.get(call.key) : undefined;
      const options =
        previous && (typeof call.options === 'object' || call.options === undefined)
          ? { ...(call.options as object), previous }
          : call.options;
      return kv.atomicPut(a(call.key), a(call.value), a(options));
    }
    case 'get':
    case 'exists':
    case 'delete':
      return kv[call.op](a(call.key), a(call.options));
    case 'atomicDelete':
      return kv.atomicDelete(a(call.key), a(call.usePrevious ? last.get(call.key) : undefined));
    case 'listPage':
      return kv.listPage(a(call.options));
    case 'list': {
      const out: KVPair[] = [];
      for await (const p of kv.list(a(call.options))) out.push(p);
      return out;
    }
    case 'partition':
      return s.store.partition(a(call.name));
    case 'lock': {
      const lease = await s.store.lock(a(call.key), a(call.options)).tryAcquire();
      await lease?.release();
      return lease;
    }
  }
}

function isDynamoValidation(err: unknown): boolean {
  return (
    err instanceof BackendError &&
    (err.cause as { name?: string } | undefined)?.name === 'ValidationException'
  );
}

async function checkSequence(s: Subject, partition: string, calls: readonly Call[]): Promise<void> {
  const last = new Map<unknown, KVPair>();
  for (const call of calls) {
    const before = await s.rows(partition);
    const callsBefore = s.calls();
    let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await invoke(s, partition, call, last) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    if (!outcome.ok) {
      const { error } = outcome;
      expect(error, `${call.op} rejected with an untyped error: ${String(error)}`).toBeInstanceOf(
        DynastoreError,
      );
      expect(
        isDynamoValidation(error),
        `${call.op}: DynamoDB refused input dynastore let through: ${String(error)}`,
      ).toBe(false);
      if (error instanceof ValidationError) {
        expect(s.calls(), `${call.op}: a ValidationError after a store call`).toBe(callsBefore);
        expect(await s.rows(partition), `${call.op}: rows changed although it was refused`).toEqual(before);
      }
      continue;
    }
    const value = outcome.value as KVPair | undefined;
    if ((call.op === 'put' || call.op === 'atomicPut') && value) {
      last.set(call.key, value);
      const ttl = (call.options as { ttlMs?: unknown } | undefined)?.ttlMs;
      if (ttl === undefined || (typeof ttl === 'number' && ttl >= 60_000)) {
        const read = await s.store.partition(partition).get(call.key as string);
        const expected =
          call.value instanceof Uint8Array ? [...call.value] : [...Buffer.from(String(call.value), 'utf8')];
        expect(read && [...read.bytes()], `${call.op}: the value did not come back`).toEqual(expected);
      }
    }
  }
}

function property(subject: () => Subject, runs: number) {
  return async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(anyCall, { minLength: 1, maxLength: 4 }), async (calls) => {
          await checkSequence(subject(), `p${n++}`, calls);
        }),
        { numRuns: runs, seed: 20_240_601, endOnFailure: true },
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  };
}

describe('bad input, property-based (memory backend)', () => {
  let calls = 0;
  const backend = new MemoryBackend({ onCall: () => calls++ });
  const store = new Dynastore({ backend });
  const subject = (): Subject => ({
    store,
    calls: () => calls,
    rows: async (partition) => (await backend.query({ partition })).items,
  });
  it(
    'each call succeeds or throws a typed error, refuses before touching the store, round-trips values',
    property(subject, 400),
    60_000,
  );
});

describe('bad input, property-based (DynamoDB Local)', () => {
  let table: DynamoTable;
  let calls = 0;
  let store: Dynastore;
  beforeAll(async () => {
    table = await useDynamoTable();
    store = new Dynastore({ client: table.client, tableName: table.tableName, onCall: () => calls++ });
  });
  afterAll(() => table?.cleanup());
  const subject = (): Subject => ({
    store,
    calls: () => calls,
    rows: async (partition) => {
      const before = calls;
      const page = await store.backend.query({ partition, consistent: true });
      calls = before;
      return page.items;
    },
  });
  it(
    'each call succeeds or throws a typed error, refuses before calling DynamoDB, round-trips values',
    property(subject, 120),
    120_000,
  );
});
