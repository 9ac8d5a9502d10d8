import { describe, expect, it } from 'vitest';
import type { Backend, ChangeRecord, StoredItem } from '../../src/contract/backend.js';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { type Leader, leaderChanges, leaderOf } from '../../src/election/observe.js';

const NOW = 1_700_000_000_000;

function row(
  owner: string | undefined,
  token: bigint,
  version: number,
  leaseUntil = NOW + 10_000,
): StoredItem {
  return {
    partition: '_election/e',
    key: 'e',
    version,
    fields: { token, ...(owner && { owner, leaseUntil, leaseMs: 10_000 }) },
  };
}

/** A backend whose read and change feed the test drives by hand. */
function scripted(initial: StoredItem | undefined) {
  let push: ((changes: readonly ChangeRecord[]) => void) | undefined;
  let fail: ((err: Error) => void) | undefined;
  let resolveReady: () => void = () => {};
  let subscribed = 0;
  const backend = {
    kind: 'scripted',
    get: async () => initial,
    changes: () => ({
      subscribe: (onChanges: (c: readonly ChangeRecord[]) => void, onError: (e: Error) => void) => {
        subscribed++;
        push = onChanges;
        fail = onError;
        return {
          ready: new Promise<void>((resolve) => {
            resolveReady = resolve;
          }),
          unsubscribe: () => {
            subscribed--;
          },
        };
      },
    }),
  } as unknown as Backend;
  const put = (item: StoredItem): ChangeRecord => ({
    type: 'put',
    partition: '_election/e',
    key: 'e',
    item,
    cause: 'write',
  });
  return {
    backend,
    put,
    ready: () => resolveReady(),
    push: (...changes: ChangeRecord[]) => push?.(changes),
    fail: (err: Error) => fail?.(err),
    subscribed: () => subscribed,
  };
}

function collect(s: ReturnType<typeof scripted>, clock: VirtualClock) {
  const seen: (Leader | undefined)[] = [];
  const errors: unknown[] = [];
  const sub = leaderChanges({
    backend: s.backend,
    clock,
    partition: '_election/e',
    key: 'e',
    maxClockSkewMs: 1_000,
  }).subscribe({
    next: (l) => seen.push(l),
    error: (e: unknown) => errors.push(e),
  });
  return { seen, errors, sub };
}

describe('leaderChanges (the observe() stream)', () => {
  it('reads the row only once the feed is positioned, then applies what arrived meanwhile', async () => {
    const clock = new VirtualClock(NOW);
    const s = scripted(row('a', 5n, 3));
    const { seen } = collect(s, clock);
    s.push(s.put(row('a', 5n, 2))); // older than the snapshot: a replay, ignored
    s.push(s.put(row('b', 6n, 1))); // newer: applied after the snapshot
    await clock.advance(1);
    expect(seen).toEqual([]);
    s.ready();
    await clock.advance(1);
    expect(seen).toEqual([{ id: 'b', term: 6n }]);
  });

  it('ignores stale records and deletes of older rows; heartbeats emit nothing', async () => {
    const clock = new VirtualClock(NOW);
    const s = scripted(row('a', 5n, 3));
    const { seen } = collect(s, clock);
    s.ready();
    await clock.advance(1);
    s.push(s.put(row('a', 5n, 4, NOW + 20_000)), s.put(row('a', 5n, 5, NOW + 30_000))); // renewals
    s.push(s.put(row('z', 4n, 9))); // an older term replayed late
    s.push({
      type: 'delete',
      partition: '_election/e',
      key: 'e',
      previous: row('a', 5n, 2),
      cause: 'expiry',
    });
    await clock.advance(1);
    expect(seen).toEqual([{ id: 'a', term: 5n }]);
    s.push(s.put(row(undefined, 5n, 6))); // released
    s.push({ type: 'delete', partition: 'other', key: 'e', cause: 'write' }); // another partition
    await clock.advance(1);
    expect(seen).toEqual([{ id: 'a', term: 5n }, undefined]);
  });

  it('turns a silent leader into undefined once its lease + skew has passed', async () => {
    const clock = new VirtualClock(NOW);
    const s = scripted(row('a', 5n, 1, NOW + 2_000));
    const { seen, sub } = collect(s, clock);
    s.ready();
    await clock.advance(2_900);
    expect(seen).toEqual([{ id: 'a', term: 5n }]);
    await clock.advance(200);
    expect(seen).toEqual([{ id: 'a', term: 5n }, undefined]);
    expect(clock.pendingTimers).toBe(0);
    sub.unsubscribe();
    expect(s.subscribed()).toBe(0);
  });

  it('ends with the feed error, and unsubscribing leaves no timer and no listener', async () => {
    const clock = new VirtualClock(NOW);
    const s = scripted(row('a', 5n, 1));
    const a = collect(s, clock);
    s.ready();
    await clock.advance(1);
    expect(clock.pendingTimers).toBe(1); // the lease-expiry check
    a.sub.unsubscribe();
    expect(clock.pendingTimers).toBe(0);
    expect(s.subscribed()).toBe(0);
    const b = collect(s, clock);
    s.fail(new Error('stream gone'));
    expect(b.errors).toEqual([new Error('stream gone')]);
  });

  it('leaderOf: only a live, owned, unexpired row names a leader', () => {
    expect(leaderOf(undefined, NOW, 1_000)).toBeUndefined();
    expect(leaderOf(row(undefined, 5n, 1), NOW, 1_000)).toBeUndefined();
    expect(leaderOf(row('a', 5n, 1, NOW - 999), NOW, 1_000)).toEqual({ id: 'a', term: 5n });
    expect(leaderOf(row('a', 5n, 1, NOW - 1_001), NOW, 1_000)).toBeUndefined();
    expect(leaderOf({ ...row('a', 5n, 1), expiresSec: NOW / 1000 - 1 }, NOW, 1_000)).toBeUndefined();
  });
});
