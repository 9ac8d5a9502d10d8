import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dynastore } from '../../src/facade/dynastore.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';

/** One request as the SDK sent it: its operation, its input, and the bytes of its HTTP body. */
interface Sent {
  readonly operation: string;
  readonly input: {
    UpdateExpression?: string;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, { S?: string; N?: string }>;
    ReturnValues?: string;
  };
  bodyBytes: number;
}

/** Records every request `client` sends (SDK middleware: the input, then the serialized body). */
function capture(client: DynamoDBClient): Sent[] {
  const sent: Sent[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({
        operation: String(context.commandName).replace(/Command$/, ''),
        input: args.input as Sent['input'],
        bodyBytes: 0,
      });
      return next(args);
    },
    { step: 'initialize', name: 'testCaptureInput' },
  );
  client.middlewareStack.add(
    (next) => async (args) => {
      const body = (args.request as { body?: string }).body;
      const last = sent[sent.length - 1];
      if (last) last.bodyBytes = Buffer.byteLength(body ?? '');
      return next(args);
    },
    { step: 'build', name: 'testCaptureBody' },
  );
  return sent;
}

/** An expression with its `#n` placeholders resolved and its `:v` values shown as `:`. */
function readable(text: string | undefined, input: Sent['input']): string {
  return (text ?? '')
    .replace(/#n\d+/g, (ph) => input.ExpressionAttributeNames?.[ph] ?? ph)
    .replace(/:v\d+/g, ':');
}

let t: DynamoTable;
beforeAll(async () => {
  t = await useDynamoTable();
});
afterAll(() => t?.cleanup());

describe('the grant and release requests are as small as the lock rules allow (issue 10 §2)', () => {
  it('an uncontended cycle sends one UpdateItem each, of this shape', async () => {
    const sent = capture(t.client);
    // the look for old-layout processes is counted in test/lock/legacy-layout.dynamodb.test.ts
    const store = new Dynastore({ client: t.client, tableName: t.tableName, legacyLayoutCheckMs: false });
    const lock = store.lock('shape', { owner: 'owner-1', leaseMs: 5_000 });
    const first = await lock.acquire();
    await first.release();
    sent.length = 0;
    const lease = await lock.acquire(); // a released row: token kept, so the grant must exceed it
    await lease.release();

    expect(sent.map((s) => s.operation)).toEqual(['UpdateItem', 'UpdateItem']);
    const [grant, release] = sent as [Sent, Sent];

    expect(readable(grant.input.UpdateExpression, grant.input)).toBe(
      'SET expires = :, owner = :, token = :, leaseMs = :, leaseUntil = :, writeId = : REMOVE data ADD version :',
    );
    // token: absent or below the new one; and free, or expired by rule (a) (rule (b) only when observed)
    expect(readable(grant.input.ConditionExpression, grant.input)).toBe(
      '(attribute_not_exists(token) OR token < :) AND (attribute_not_exists(owner) OR leaseUntil < :)',
    );
    const values = Object.values(grant.input.ExpressionAttributeValues ?? {});
    expect(values).toContainEqual({ N: String(lease.token) });
    expect(values).toContainEqual({ S: 'owner-1' });

    expect(readable(release.input.UpdateExpression, release.input)).toBe(
      'SET expires = : REMOVE owner, leaseUntil, data, leaseMs ADD version :',
    );
    expect(readable(release.input.ConditionExpression, release.input)).toBe('owner = : AND token = :');

    // bodies on the wire, with this test's name lengths: 880 and 578 bytes before issue 10 §2
    // (an absent-row clause, the token sent twice, every operand in parentheses); the partition key
    // names the lock since issue 18 (`_lock/shape` instead of `_locks`: 5 bytes more)
    const layout = '_lock/shape'.length - '_locks'.length;
    expect(grant.bodyBytes).toBeLessThanOrEqual(800 + layout);
    expect(release.bodyBytes).toBeLessThanOrEqual(576 + layout);
  });
});
