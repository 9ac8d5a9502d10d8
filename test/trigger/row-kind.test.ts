import { describe, expect, it } from 'vitest';
import type { ChangeRecord, StoredItem } from '../../src/contract/backend.js';
import { isCoordinationRow } from '../../src/contract/row-kind.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';

/**
 * Whatever partition the table layout keys them in, every row a lock, semaphore, election or
 * session writes is a coordination row by its shape, and no key/value row is: the check watches
 * every change of a store while each primitive is used, so a new row kind or field shows up here.
 */
describe('isCoordinationRow', () => {
  it('tells every row the coordination primitives write from every key/value row', async () => {
    const backend = new MemoryBackend();
    const store = new Dynastore({ backend });
    const changes: ChangeRecord[] = [];
    const sub = backend.changes().subscribe(
      (batch) => changes.push(...batch),
      (err) => {
        throw err;
      },
    );
    await sub.ready;
    const kv: string[] = [];
    const note = () => changes.length;

    let from = note();
    await store.partition('_locks').put('looks-reserved', 'but is a value');
    await store.partition('config').put('a', new Uint8Array([1]), { ttlMs: 60_000 });
    await store.partition('config').put('token', 'a key named like a lock field');
    await store.partition('config').delete('a');
    kv.push(...changes.slice(from).map((c) => `${c.partition}/${c.key}`));
    const kvCount = changes.length - from;

    from = note();
    const lease = await store.lock('job', { leaseMs: 5_000 }).acquire();
    await lease.release();
    const permit = await store.semaphore('encoders', { permits: 2, leaseMs: 5_000 }).acquire();
    await permit.release();
    const leadership = await store.election('scheduler', { leaseMs: 5_000 }).campaign('node-1');
    await leadership.resign();
    const session = await store.session({ leaseMs: 5_000 });
    const held = await session.lock('bound').acquire();
    await held.release();
    await session.close();
    const coordination = changes.slice(from);
    sub.unsubscribe();

    expect(kvCount).toBe(4);
    for (const c of changes.slice(0, kvCount))
      for (const row of rows(c)) expect(isCoordinationRow(row)).toBe(false);
    expect(coordination.length).toBeGreaterThanOrEqual(10);
    for (const c of coordination) {
      expect(rows(c).length).toBeGreaterThan(0);
      for (const row of rows(c)) expect(isCoordinationRow(row), `${c.partition}/${c.key}`).toBe(true);
    }
    expect(kv).toContain('_locks/looks-reserved');
  });

  it('counts a coordination field of an odd type (opaque) as one', () => {
    const row: StoredItem = { partition: 'x', key: 'y', version: 1, fields: {}, opaque: ['owner'] };
    expect(isCoordinationRow(row)).toBe(true);
    expect(isCoordinationRow({ ...row, opaque: ['notes'] })).toBe(false);
  });
});

function rows(c: ChangeRecord): StoredItem[] {
  return [c.item, c.previous].filter((r): r is StoredItem => r !== undefined);
}
