import { describe, expect, it } from 'vitest';
import { absentOrExpired, liveAtVersion } from '../../src/contract/conditions.js';
import { defaultAttributeNames } from '../../src/contract/names.js';
import { buildDelete, buildQuery, buildTransact, buildUpdate } from '../../src/dynamodb/builders.js';
import { compileCondition, Placeholders } from '../../src/dynamodb/expression.js';

const ref = { tableName: 't1', names: defaultAttributeNames };

describe('SDK input builders (no network)', () => {
  it('builds one UpdateItem with SET, REMOVE, ADD version and ALL_OLD on failure', () => {
    const input = buildUpdate(ref, {
      partition: 'p',
      key: 'k',
      payload: 'v',
      encoding: null,
      expiresSec: null,
      fields: { owner: 'me', token: 12345678901234567890n },
      condition: absentOrExpired(100),
    });
    expect(input.Key).toEqual({ id: { S: 'p' }, name: { S: 'k' } });
    expect(input.UpdateExpression).toBe('SET #n0 = :v0, #n3 = :v1, #n4 = :v2 REMOVE #n1, #n2 ADD #n5 :v3');
    expect(input.ExpressionAttributeNames).toEqual({
      '#n0': 'payload',
      '#n1': 'encoding',
      '#n2': 'expires',
      '#n3': 'owner',
      '#n4': 'token',
      '#n5': 'version',
      '#n6': 'id',
    });
    expect(input.ExpressionAttributeValues?.[':v2']).toEqual({ N: '12345678901234567890' });
    expect(input.ConditionExpression).toBe('attribute_not_exists(#n6) OR #n2 <= :v4');
    expect(input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    expect(input.ReturnConsumedCapacity).toBe('TOTAL');
  });

  it('parenthesises only nested and/or operands', () => {
    const x = new Placeholders(defaultAttributeNames);
    const owner = { op: 'cmp', attr: 'field:owner', cmp: '=', value: 'a' } as const;
    const text = compileCondition(
      {
        op: 'or',
        any: [
          { op: 'notExists' },
          { op: 'and', all: [owner, { op: 'not', cond: owner }, { op: 'and', all: [] }] },
        ],
      },
      x,
    );
    expect(text).toBe(
      'attribute_not_exists(#n0) OR (#n1 = :v0 AND NOT (#n1 = :v1) AND (attribute_exists(#n0) OR attribute_not_exists(#n0)))',
    );
    expect(x.toInput().ExpressionAttributeNames).toEqual({ '#n0': 'id', '#n1': 'owner' });
  });

  it('never splices user text into expressions', () => {
    const input = buildUpdate(ref, { partition: 'p', key: 'k', fields: { 'weird name) OR (': 'x = y' } });
    expect(input.UpdateExpression).not.toContain('weird');
    expect(input.UpdateExpression).not.toContain('x = y');
  });

  it('honours custom attribute names', () => {
    const names = { ...defaultAttributeNames, partition: 'pk', key: 'sk', version: 'rev' };
    const input = buildUpdate(
      { tableName: 't', names },
      { partition: 'p', key: 'k', condition: liveAtVersion(3, 10) },
    );
    expect(input.Key).toEqual({ pk: { S: 'p' }, sk: { S: 'k' } });
    expect(Object.values(input.ExpressionAttributeNames ?? {})).toContain('rev');
  });

  it('builds a delete that returns the old row, and a prefix query with an exclusive start', () => {
    expect(buildDelete(ref, { partition: 'p', key: 'k' })).toMatchObject({ ReturnValues: 'ALL_OLD' });
    const q = buildQuery(ref, { partition: 'p', prefix: 'a/', limit: 10, after: 'a/3' });
    expect(q.KeyConditionExpression).toBe('#n0 = :v0 AND begins_with(#n1, :v1)');
    expect(q.ExclusiveStartKey).toEqual({ id: { S: 'p' }, name: { S: 'a/3' } });
    expect(q.ConsistentRead).toBe(true);
    expect(buildQuery(ref, { partition: 'p', consistent: false }).ConsistentRead).toBe(false);
  });

  it('builds transactions with a ConditionCheck', () => {
    const items = buildTransact(ref, [
      {
        kind: 'check',
        partition: 'locks',
        key: 'a',
        condition: { op: 'cmp', attr: 'field:token', cmp: '=', value: 7n },
      },
      { kind: 'write', partition: 'p', key: 'k', payload: 'v' },
    ]);
    expect(items[0]?.ConditionCheck?.ConditionExpression).toBe('#n0 = :v0');
    expect(items[0]?.ConditionCheck?.ExpressionAttributeNames).toEqual({ '#n0': 'token' });
    expect(items[1]?.Update?.UpdateExpression).toContain('ADD');
  });
});
