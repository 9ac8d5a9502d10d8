import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Condition, WriteInput } from '../../src/contract/backend.js';
import { defaultAttributeNames } from '../../src/contract/names.js';
import { DynamoBackend } from '../../src/dynamodb/backend.js';
import { grantCondition } from '../../src/lock/row.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import { useDynamoTable } from '../support/dynamo.js';

/** Rows the conditions are tried against (written fresh for every check). */
const rows: Record<string, Omit<WriteInput, 'partition' | 'key'> | undefined> = {
  absent: undefined,
  plain: { payload: 'v' },
  expiring: { payload: 'v', expiresSec: 100 },
  owned: { fields: { owner: 'a', token: 5n, big: 12345678901234567890n, flag: true } },
};

const conditions: Record<string, Condition> = {
  exists: { op: 'exists' },
  notExists: { op: 'notExists' },
  'expires <= 100': { op: 'cmp', attr: 'expires', cmp: '<=', value: 100 },
  'expires > 100': { op: 'cmp', attr: 'expires', cmp: '>', value: 100 },
  'owner <> b': { op: 'cmp', attr: 'field:owner', cmp: '<>', value: 'b' },
  'owner = a': { op: 'cmp', attr: 'field:owner', cmp: '=', value: 'a' },
  'token < 6': { op: 'cmp', attr: 'field:token', cmp: '<', value: 6n },
  'big > 2^63': { op: 'cmp', attr: 'field:big', cmp: '>', value: 9223372036854775808n },
  'flag = true': { op: 'cmp', attr: 'field:flag', cmp: '=', value: true },
  'owner absent': { op: 'attrNotExists', attr: 'field:owner' },
  'payload exists': { op: 'attrExists', attr: 'payload' },
  'version = 1': { op: 'cmp', attr: 'version', cmp: '=', value: 1 },
  'not(owner = a)': { op: 'not', cond: { op: 'cmp', attr: 'field:owner', cmp: '=', value: 'a' } },
  'empty and': { op: 'and', all: [] },
  'empty or': { op: 'or', any: [] },
  'notExists or expires<=100': {
    op: 'or',
    any: [{ op: 'notExists' }, { op: 'cmp', attr: 'expires', cmp: '<=', value: 100 }],
  },
  // nesting: the DynamoDB text parenthesises only nested and/or, so these pin the precedence
  '(owner = a or version = 1) and expires > 100': {
    op: 'and',
    all: [
      {
        op: 'or',
        any: [
          { op: 'cmp', attr: 'field:owner', cmp: '=', value: 'a' },
          { op: 'cmp', attr: 'version', cmp: '=', value: 1 },
        ],
      },
      { op: 'cmp', attr: 'expires', cmp: '>', value: 100 },
    ],
  },
  '(empty and) and owner = a': {
    op: 'and',
    all: [
      { op: 'and', all: [] },
      { op: 'cmp', attr: 'field:owner', cmp: '=', value: 'a' },
    ],
  },
  'not(owner = a) or (version = 1 and payload exists)': {
    op: 'or',
    any: [
      { op: 'not', cond: { op: 'cmp', attr: 'field:owner', cmp: '=', value: 'a' } },
      {
        op: 'and',
        all: [
          { op: 'cmp', attr: 'version', cmp: '=', value: 1 },
          { op: 'attrExists', attr: 'payload' },
        ],
      },
    ],
  },
  'lock grant, token 6, rule (a) at 100': grantCondition(6n, { expiredBefore: 100 }),
  'lock grant, token 5, rule (b) version 1': grantCondition(5n, {
    expiredBefore: 0,
    observed: { version: 1, token: 4n },
  }),
  'lock grant, token 6, rule (b) version 1 token 5': grantCondition(6n, {
    expiredBefore: 0,
    observed: { version: 1, token: 5n },
  }),
};

async function outcomes(backend: Backend, run: string): Promise<Record<string, boolean>> {
  const out: Record<string, boolean> = {};
  for (const [rowName, row] of Object.entries(rows)) {
    for (const [condName, condition] of Object.entries(conditions)) {
      const key = `${run}/${rowName}/${condName}`;
      if (row) await backend.write({ partition: 'cond', key, ...row });
      const r = await backend.write({ partition: 'cond', key, payload: 'x', condition });
      out[`${rowName} | ${condName}`] = r.ok;
    }
  }
  return out;
}

describe('conditions mean the same on both backends', () => {
  let dynamo: Backend;
  beforeAll(async () => {
    const t = await useDynamoTable();
    dynamo = new DynamoBackend({ client: t.client, tableName: t.tableName, names: defaultAttributeNames });
  });

  it('agrees with DynamoDB on every row × condition', async () => {
    const expected = await outcomes(dynamo, 'd');
    const actual = await outcomes(new MemoryBackend(), 'm');
    expect(actual).toEqual(expected);
    // a few anchors, so the two cannot agree on nonsense
    expect(expected['absent | owner <> b']).toBe(true);
    expect(expected['plain | owner = a']).toBe(false);
    expect(expected['owned | big > 2^63']).toBe(true);
    expect(expected['absent | empty and']).toBe(true);
    expect(expected['plain | empty or']).toBe(false);
    expect(expected['owned | (owner = a or version = 1) and expires > 100']).toBe(false);
    expect(expected['plain | (empty and) and owner = a']).toBe(false);
    expect(expected['absent | lock grant, token 6, rule (a) at 100']).toBe(true);
    expect(expected['plain | lock grant, token 6, rule (a) at 100']).toBe(true);
    expect(expected['owned | lock grant, token 6, rule (a) at 100']).toBe(false);
    expect(expected['owned | lock grant, token 5, rule (b) version 1']).toBe(false);
    expect(expected['owned | lock grant, token 6, rule (b) version 1 token 5']).toBe(true);
  });
});

describe('number comparisons in the memory backend', () => {
  it('compares bigints beyond 2^53 exactly', async () => {
    const { compareValues } = await import('../../src/contract/evaluate.js');
    expect(compareValues(9007199254740993n, 9007199254740992n)).toBe(1);
    expect(compareValues(9007199254740993n, 9007199254740993n)).toBe(0);
    expect(compareValues(2, 3n)).toBe(-1);
    expect(compareValues(2.5, 3n)).toBe(-1);
  });
});
