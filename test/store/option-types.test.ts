import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/contract/errors/index.js';
import { createTable } from '../../src/dynamodb/create-table.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import { startLocalDynamo } from '../../src/testing/local-dynamo.js';

/**
 * Issue 12 item 6: every constructor and entry point refuses a wrong-typed (or out-of-range)
 * option with a ValidationError naming it, before any call. A client whose `send` records calls
 * proves nothing was sent.
 */
describe('constructors refuse wrong-typed options, naming the field', () => {
  const sent: unknown[] = [];
  const client = { send: async (command: unknown) => sent.push(command) } as never;
  const ok = { client, tableName: 'ok-table' };

  const table: [field: string, make: () => unknown][] = [
    ['Dynastore.client', () => new Dynastore({ client: {} as never, tableName: 'ok-table' })],
    [
      'Dynastore.client',
      () => new Dynastore({ client: 'http://localhost:8000' as never, tableName: 'ok-table' }),
    ],
    ['Dynastore.consistentReads', () => new Dynastore({ ...ok, consistentReads: 'yes' as never })],
    ['Dynastore.consistentReads', () => new Dynastore({ ...ok, consistentReads: 0 as never })],
    ['Dynastore.clock', () => new Dynastore({ ...ok, clock: {} as never })],
    ['Dynastore.onCall', () => new Dynastore({ ...ok, onCall: 'log' as never })],
    ['Dynastore.backend', () => new Dynastore({ backend: {} as never })],
    ['attributeNames.payload', () => new Dynastore({ ...ok, attributeNames: { payload: 5 as never } })],
    ['attributeNames.payload', () => new Dynastore({ ...ok, attributeNames: { payload: 'p\ud800' } })],
    ['attributeNames.paylod', () => new Dynastore({ ...ok, attributeNames: { paylod: 'x' } as never })],
    ['stream.lingerMs', () => new Dynastore({ ...ok, stream: { lingerMs: 1e300 } })],
    ['stream.shardDiscoveryMs', () => new Dynastore({ ...ok, stream: { shardDiscoveryMs: 'x' as never } })],
    ['stream.pollIntervalMs', () => new Dynastore({ ...ok, stream: { pollIntervalMs: Number.NaN } })],
    ['stream.streamsClient', () => new Dynastore({ ...ok, stream: { streamsClient: {} as never } })],
    ['stream.pollMs', () => new Dynastore({ ...ok, stream: { pollMs: 1 } as never })],
    ['MemoryBackend.reapIntervalMs', () => new MemoryBackend({ reapIntervalMs: 'often' as never })],
    ['MemoryBackend.reapIntervalMs', () => new MemoryBackend({ reapIntervalMs: 1e12 })],
    ['MemoryBackend.clock', () => new MemoryBackend({ clock: Date as never })],
    ['MemoryBackend.onCall', () => new MemoryBackend({ onCall: {} as never })],
  ];

  it.each(table)('%s', (field, make) => {
    let error: unknown;
    try {
      make();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect(sent).toEqual([]);
  });

  it('createTable and startLocalDynamo refuse theirs before any call or process', async () => {
    const cases: [string, () => Promise<unknown>][] = [
      ['attributeNames.partiton', () => createTable({ ...ok, attributeNames: { partiton: 'pk' } as never })],
      ['attributeNames.key', () => createTable({ ...ok, attributeNames: { key: 'k\udc00' } })],
      ['waitTimeoutMs', () => createTable({ ...ok, waitTimeoutMs: 1e12 })],
      ['client', () => createTable({ client: {} as never, tableName: 'ok-table' })],
      ['startTimeoutMs', () => startLocalDynamo({ startTimeoutMs: 1e12 })],
      ['sharedDb', () => startLocalDynamo({ sharedDb: 'yes' as never })],
    ];
    for (const [field, call] of cases) {
      await expect(call(), field).rejects.toMatchObject({ name: 'ValidationError', field });
    }
    expect(sent).toEqual([]);
  });
});
