import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dynastore } from '../../src/store/dynastore.js';
import { useDynamoTable } from '../support/dynamo.js';

/**
 * Go dynastore writes with `UpdateItem`: `ADD version 1`, `SET payload = :s` (a string; []byte as
 * base64 text), `SET expires = :epochSeconds`. These tests write rows that way with the raw SDK and
 * read them here, and the reverse.
 */
describe('table layout compatibility with Go dynastore', () => {
  let t: Awaited<ReturnType<typeof useDynamoTable>>;
  let store: Dynastore;
  beforeAll(async () => {
    t = await useDynamoTable();
    store = new Dynastore({ client: t.client, tableName: t.tableName });
  });

  const goPut = (partition: string, key: string, payload: string, ttlSec?: number) =>
    t.client.send(
      new UpdateItemCommand({
        TableName: t.tableName,
        Key: { id: { S: partition }, name: { S: key } },
        UpdateExpression: `ADD #version :one SET #payload = :payload${ttlSec ? ', #expires = :expires' : ''}`,
        ExpressionAttributeNames: {
          '#version': 'version',
          '#payload': 'payload',
          ...(ttlSec && { '#expires': 'expires' }),
        },
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':payload': { S: payload },
          ...(ttlSec && { ':expires': { N: String(Math.floor(Date.now() / 1000) + ttlSec) } }),
        },
      }),
    );

  it('reads what Go wrote: strings as-is, versions, expiry, and expired rows as absent', async () => {
    await goPut('go', 'text', 'hello from go');
    await goPut('go', 'text', 'hello again');
    await goPut('go', 'ttl', 'soon', 3600);
    await goPut('go', 'dead', 'gone', -10);
    const kv = store.partition('go');
    const text = await kv.get('text');
    expect(text?.text()).toBe('hello again');
    expect(text?.version).toBe(2);
    expect((await kv.get('ttl'))?.expiresAt?.getTime()).toBeGreaterThan(Date.now());
    expect(await kv.get('dead')).toBeUndefined();
    // DynamoDB Local may already have reaped it (then the version starts again at 1)
    const reborn = await kv.atomicPut('dead', 'reborn');
    expect(reborn.text()).toBe('reborn');
    expect([1, 2]).toContain(reborn.version);
    // Go stores []byte as base64 text; read it as such.
    await goPut('go', 'bytes', Buffer.from([1, 2, 3]).toString('base64'));
    expect(Buffer.from((await kv.get('bytes'))!.text(), 'base64')).toEqual(Buffer.from([1, 2, 3]));
  });

  it('writes what Go reads: id/name keys, numeric version, string payload, epoch-second expires', async () => {
    const kv = store.partition('ts');
    await kv.put('text', 'hello from ts', { ttlMs: 60_000 });
    await kv.put('bytes', new Uint8Array([255, 0, 7]));
    const raw = async (key: string) =>
      (
        await t.client.send(
          new GetItemCommand({ TableName: t.tableName, Key: { id: { S: 'ts' }, name: { S: key } } }),
        )
      ).Item;
    const text = await raw('text');
    expect(text?.payload).toEqual({ S: 'hello from ts' });
    expect(text?.version).toEqual({ N: '1' });
    const expires = Number(text?.expires?.N);
    expect(expires).toBeGreaterThan(Date.now() / 1000 + 55);
    expect(expires).toBeLessThan(Date.now() / 1000 + 65);
    const bytes = await raw('bytes');
    expect(bytes?.payload).toEqual({ S: Buffer.from([255, 0, 7]).toString('base64') });
    expect(bytes?.encoding).toEqual({ S: 'base64' });
    // Go's UpdateItem ADD version continues our counter
    await goPut('ts', 'text', 'go overwrote');
    const back = await store.partition('ts').get('text');
    expect(back?.version).toBe(2);
    expect(back?.text()).toBe('go overwrote');
  });
});
