import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/contract/backend.js';
import { type LeaseLostError, LegacyLayoutError } from '../../src/contract/errors/lock.js';
import { ValidationError } from '../../src/contract/errors/store.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { grantWrite, type LeaseTerms, releaseWrite, tokenFloor } from '../../src/lock/row.js';
import { bindToSession, openSessionWrite } from '../../src/lock/session-row.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';

/*
 * A process of the old row layout (every lock row under `_locks`, semaphores under `_semaphores`,
 * elections under `_elections`, sessions under `_sessions`) on the same table as this layout. The
 * old rows are written with the very builders the old layout's grant used (row.ts and
 * session-row.ts write the same attributes; only the partition differs).
 */

let t: DynamoTable;
beforeAll(async () => {
  t = await useDynamoTable();
});
afterAll(() => t?.cleanup());

const opts = { leaseMs: 2_000, maxClockSkewMs: 100, heartbeatMs: 500 };

function newStore(extra: { legacyLayoutCheckMs?: number | false; onCall?: (e: CallEvent) => void } = {}) {
  return new Dynastore({ client: t.client, tableName: t.tableName, ...extra });
}

function terms(owner: string, leaseMs = 60_000): LeaseTerms {
  return { owner, token: tokenFloor(Date.now()), leaseMs, retentionMs: 86_400_000, data: undefined };
}

/** An old-layout process's grant of `key` in `partition`, as its code wrote it. */
async function oldGrant(store: Dynastore, partition: string, key: string, owner = 'old-proc:1:aa') {
  const now = Date.now();
  const r = await store.backend.write(
    grantWrite({ partition, key }, terms(owner), now, { expiredBefore: now - 1_000 }),
  );
  expect(r.ok).toBe(true);
}

describe('old and new row layouts on one table', () => {
  it('a lock, a semaphore slot or an election held in the old layout is refused with LegacyLayoutError; nothing is written', async () => {
    const store = newStore();
    await oldGrant(store, '_locks', 'legacy/job');
    await oldGrant(store, '_semaphores', 'legacy/enc#1');
    await oldGrant(store, '_elections', 'legacy/sched');

    const refused = await store
      .lock('legacy/job', opts)
      .tryAcquire()
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LegacyLayoutError);
    expect(refused).toMatchObject({
      code: 'LEGACY_LAYOUT',
      lock: 'legacy/job',
      partition: '_locks',
      key: 'legacy/job',
      owner: 'old-proc:1:aa',
    });
    await expect(store.lock('legacy/job', opts).acquire({ waitMs: 500 })).rejects.toBeInstanceOf(
      LegacyLayoutError,
    );
    expect(await store.backend.get('_lock/legacy/job', 'legacy/job')).toBeUndefined();

    await expect(store.semaphore('legacy/enc', { permits: 2, ...opts }).tryAcquire()).rejects.toMatchObject({
      name: 'LegacyLayoutError',
      key: 'legacy/enc#1',
    });
    await expect(store.election('legacy/sched', opts).tryCampaign('me')).rejects.toMatchObject({
      name: 'LegacyLayoutError',
      partition: '_elections',
    });

    // other locks are not affected; neither is a lock under a prefix (the old layout had none)
    const other = await store.lock('legacy/other', opts).tryAcquire();
    expect(other?.partition).toBe('_lock/legacy/other');
    await other?.release();
    const prefixed = await store.lock('legacy/job', { ...opts, prefix: 'tenant-a/' }).tryAcquire();
    expect(prefixed?.partition).toBe('tenant-a/_lock/legacy/job');
    await prefixed?.release();
  });

  it('an old row that was released, or whose lease ran out, does not block', async () => {
    const store = newStore();
    const now = Date.now();
    const held = terms('old:released');
    const at = { partition: '_locks', key: 'legacy/released' };
    expect((await store.backend.write(grantWrite(at, held, now, { expiredBefore: now }))).ok).toBe(true);
    expect((await store.backend.write(releaseWrite(at, held, now))).ok).toBe(true);
    const ended = terms('old:ended', 1);
    await store.backend.write(
      grantWrite({ partition: '_locks', key: 'legacy/ended' }, ended, now - 10_000, { expiredBefore: now }),
    );
    for (const key of ['legacy/released', 'legacy/ended']) {
      const lease = await store.lock(key, opts).tryAcquire();
      expect(lease, key).toBeDefined();
      await lease?.release();
    }
  });

  it('a lock held through an old-layout session blocks while that session row is live', async () => {
    const store = newStore();
    const now = Date.now();
    const live = 'aaaaaaaaaaaaaaaaaaaaaaaa';
    const dead = 'bbbbbbbbbbbbbbbbbbbbbbbb';
    await store.backend.write(openSessionWrite({ partition: '_sessions', key: live }, terms('old:s1'), now));
    await store.backend.write(
      openSessionWrite({ partition: '_sessions', key: dead }, terms('old:s2', 1), now - 10_000),
    );
    for (const [key, id] of [
      ['legacy/s-live', live],
      ['legacy/s-dead', dead],
    ] as const) {
      const grant = grantWrite({ partition: '_locks', key }, terms('old:s'), now, { expiredBefore: now });
      expect((await store.backend.write(bindToSession(grant, id))).ok).toBe(true);
    }
    await expect(store.lock('legacy/s-live', opts).tryAcquire()).rejects.toBeInstanceOf(LegacyLayoutError);
    const lease = await store.lock('legacy/s-dead', opts).tryAcquire();
    expect(lease).toBeDefined();
    await lease?.release();
  });

  it('an old-layout process that takes a lock this store holds ends the lease (reason taken, cause LegacyLayoutError)', async () => {
    const store = newStore({ legacyLayoutCheckMs: 200 });
    const lease = await store.lock('legacy/late', opts).acquire({ waitMs: 2_000 });
    expect(lease.signal.aborted).toBe(false);
    await oldGrant(store, '_locks', 'legacy/late', 'old:late');
    const reason = await new Promise<LeaseLostError>((resolve) =>
      lease.signal.addEventListener('abort', () => resolve(lease.signal.reason as LeaseLostError), {
        once: true,
      }),
    );
    expect(reason.reason).toBe('taken');
    expect(reason.cause).toBeInstanceOf(LegacyLayoutError);
    expect(reason.message).toMatch(/old row layout/);
    await lease.release();
  });

  it('costs one query of the old partition per store and interval, not per lock; false turns it off', async () => {
    const calls: CallEvent[] = [];
    const store = newStore({ onCall: (e) => calls.push(e) });
    for (const key of ['legacy/c1', 'legacy/c2', 'legacy/c3']) {
      const lease = await store.lock(key, opts).tryAcquire();
      await lease?.release();
    }
    expect(calls.filter((c) => c.operation === 'Query')).toHaveLength(1);
    expect(calls.filter((c) => c.operation === 'UpdateItem')).toHaveLength(6); // 3 grants, 3 releases

    const off = newStore({ legacyLayoutCheckMs: false });
    expect(off.legacyLayout).toBeUndefined();
    await oldGrant(off, '_locks', 'legacy/off');
    const lease = await off.lock('legacy/off', opts).tryAcquire(); // not looked for: both hold it
    expect(lease).toBeDefined();
    await lease?.release();
  });

  it('rejects a bad legacyLayoutCheckMs, and the option on a memory store', () => {
    expect(() => newStore({ legacyLayoutCheckMs: 0 })).toThrow(ValidationError);
    expect(() => newStore({ legacyLayoutCheckMs: 'soon' as never })).toThrow(/legacyLayoutCheckMs/);
    expect(() => new Dynastore({ backend: new MemoryBackend(), legacyLayoutCheckMs: 1_000 })).toThrow(
      /legacyLayoutCheckMs/,
    );
    expect(new Dynastore({ backend: new MemoryBackend() }).legacyLayout).toBeUndefined();
  });
});
