import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dynastore } from '../../src/facade/dynastore.js';
import { goUpdateInput } from '../contract/harness.js';
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
    // the bytes marker is the version the bytes were written at (Go leaves it alone)
    expect(bytes?.encoding).toEqual({ N: '1' });
    // Go's UpdateItem ADD version continues our counter
    await goPut('ts', 'text', 'go overwrote');
    const back = await store.partition('ts').get('text');
    expect(back?.version).toBe(2);
    expect(back?.text()).toBe('go overwrote');
  });

  it("a Go Put over bytes (exactly Go's UpdateItem) voids the marker: the reader gets Go's text", async () => {
    const kv = store.partition('go-over-bytes');
    await kv.put('k', new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    const sent = await t.client.send(
      new UpdateItemCommand(goUpdateInput(t.tableName, 'go-over-bytes', 'k', 'plain text from go')),
    );
    // Go's update leaves our marker behind, now stale (version 2, marker 1)
    expect(sent.Attributes?.encoding).toEqual({ N: '1' });
    expect(sent.Attributes?.version).toEqual({ N: '2' });
    const pair = await kv.get('k');
    expect(pair?.text()).toBe('plain text from go');
    expect(pair?.bytes()).toEqual(new TextEncoder().encode('plain text from go'));
    // Go's WriteWithBytes: base64 text, no marker; base64Bytes() gives the original bytes back
    await t.client.send(
      new UpdateItemCommand(
        goUpdateInput(t.tableName, 'go-over-bytes', 'k', Buffer.from([7, 8, 9]).toString('base64')),
      ),
    );
    expect((await kv.get('k'))?.base64Bytes()).toEqual(new Uint8Array([7, 8, 9]));
  });
});
