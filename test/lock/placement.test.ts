import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { ValidationError } from '../../src/contract/errors/store.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { rowPartition } from '../../src/lock/placement.js';
import { MemoryBackend } from '../../src/memory/backend.js';

const timing = { leaseMs: 1_000, maxClockSkewMs: 100 };

function memoryStore() {
  const clock = new VirtualClock();
  const backend = new MemoryBackend({ clock });
  return { backend, store: new Dynastore({ backend, clock }) };
}

describe('row layout: a partition key per lock, semaphore, election and session (issue 18)', () => {
  it('no partition key holds the rows of two locks, semaphores, elections or sessions; a session does not group its locks', async () => {
    const { backend, store } = memoryStore();
    const held = [
      await store.lock('jobs/a', timing).acquire(),
      await store.lock('jobs/b', timing).acquire(),
      await store.semaphore('enc', { permits: 2, ...timing }).acquire(),
      await store.semaphore('enc', { permits: 2, ...timing }).acquire(),
      (await store.election('sched', timing).campaign('n1')).lease,
    ];
    const session = await store.session(timing);
    held.push(await session.lock('jobs/c').acquire(), await session.lock('jobs/d').acquire());
    const rows = backend.dump().map((r) => `${r.partition} | ${r.key}`);
    expect(rows.sort()).toEqual(
      [
        '_lock/jobs/a | jobs/a',
        '_lock/jobs/b | jobs/b',
        '_semaphore/enc | enc#0',
        '_semaphore/enc | enc#1',
        '_election/sched | sched',
        '_lock/jobs/c | jobs/c',
        '_lock/jobs/d | jobs/d',
        `${session.id} | ${session.id}`,
      ].sort(),
    );
    expect(session.id).toMatch(/^_session\/[0-9a-f]{24}$/);
    // one partition key per lock (a semaphore's slots share theirs)
    const partitions = backend.dump().map((r) => r.partition);
    expect(new Set(partitions).size).toBe(partitions.length - 1);
    for (const lease of held) expect(lease.partition).not.toBe(session.id);
    await session.close();
    for (const lease of held) await lease.release();
  });

  it('a prefix puts every coordination row of a tenant under it (sessions pass theirs to their locks)', async () => {
    const { backend, store } = memoryStore();
    const prefix = 'tenant-a/';
    const lease = await store.lock('job', { ...timing, prefix }).acquire();
    const permit = await store.semaphore('enc', { permits: 1, ...timing, prefix }).acquire();
    const leadership = await store.election('sched', { ...timing, prefix }).campaign('n1');
    const session = await store.session({ ...timing, prefix });
    const inSession = await session.lock('s-job').acquire();
    const elsewhere = await session.lock('other', { prefix: 'tenant-b/' }).acquire();
    expect(session.id.startsWith('tenant-a/_session/')).toBe(true);
    expect(inSession.partition).toBe('tenant-a/_lock/s-job');
    expect(elsewhere.partition).toBe('tenant-b/_lock/other');
    const tenantRows = backend.dump().filter((r) => r.partition !== 'tenant-b/_lock/other');
    expect(tenantRows.every((r) => r.partition.startsWith(prefix))).toBe(true);
    expect(tenantRows).toHaveLength(5);
    // holder() and leader() find the rows under the prefix; without it, nothing is held
    expect((await store.lock('job', { ...timing, prefix }).holder())?.owner).toBe(lease.owner);
    expect(await store.lock('job', timing).holder()).toBeUndefined();
    expect((await store.election('sched', { ...timing, prefix }).leader())?.id).toBe('n1');
    expect((await store.lock('s-job', { ...timing, prefix }).holder())?.session).toBe(session.id);
    await session.close();
    await Promise.all([lease.release(), permit.release(), leadership.resign()]);
  });

  it('the partition key is checked against 2048 bytes before any write: a ValidationError naming the lock', async () => {
    const { backend, store } = memoryStore();
    const key = `k${'é'.repeat(500)}`; // 1 001 bytes: a valid sort key
    const prefix = 'p'.repeat(1_100);
    let err: unknown;
    try {
      store.lock(key, { prefix });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ field: 'lock.prefix', code: 'VALIDATION' });
    expect((err as Error).message).toMatch(
      /^lock\.prefix: lock "ké+": its row's partition key "p{16}\.\.\._lock\/\.\.\." would be 2107 bytes in UTF-8; the limit is 2048 \(shorten the prefix or the key\)$/,
    );
    // one byte less fits
    const fits = 'p'.repeat(2_048 - 6 - Buffer.byteLength(key));
    expect(store.lock(key, { prefix: fits }).partition).toHaveLength(2_048 - 500);
    expect(() => store.lock(key, { prefix: `${fits}p` })).toThrow(/would be 2049 bytes/);
    expect(() => store.semaphore('s'.repeat(1_000), { permits: 2, prefix })).toThrow(
      /semaphore\.prefix: semaphore "s+"/,
    );
    expect(() => store.election('e'.repeat(1_000), { prefix })).toThrow(
      /election\.prefix: election "e+".*or the name/,
    );
    expect(() => store.lock('job', { prefix: 'p'.repeat(2_049) })).toThrow(
      /lock\.prefix: is 2049 bytes in UTF-8; the limit is 2048/,
    );
    expect(() => store.lock('job', { prefix: 'a\udc00' })).toThrow(
      /lock\.prefix: is not well-formed Unicode/,
    );
    expect(() => store.lock('job', { prefix: 7 as never })).toThrow(/lock\.prefix: must be a string/);
    // a session's id is also its row's sort key: 1 024 bytes
    await expect(store.session({ ...timing, prefix: 'p'.repeat(1_024 - 33 + 1) })).rejects.toThrow(
      /session\.prefix: session "[0-9a-f]{24}": its id .* would be 1025 bytes in UTF-8; the limit is 1024 \(shorten the prefix\)/,
    );
    const s = await store.session({ ...timing, prefix: 'p'.repeat(1_024 - 33) });
    expect(Buffer.byteLength(s.id)).toBe(1_024);
    await s.close();
    expect(backend.dump().filter((r) => r.partition !== s.id)).toEqual([]); // nothing else was written
    expect(rowPartition('lock', '', 'a', 'lock')).toBe('_lock/a');
  });
});
