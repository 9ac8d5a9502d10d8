import { describe, expect, it } from 'vitest';
import type { Backend, ChangeFeed, ChangeRecord } from '../../src/contract/backend.js';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { BackendError } from '../../src/contract/errors/store.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import { watchKey, watchPrefix } from '../../src/watch/index.js';
import { watchTestMutants } from '../../src/watch/mutants.js';
import { collect, withOverrides } from './support.js';

/**
 * The memory backend with a change feed that loses the records `lose` picks (the contract promises
 * no loss; this stands for a feed fault) and counts strongly consistent reads.
 */
function lossyStore(lose: (r: ChangeRecord) => boolean) {
  const clock = new VirtualClock();
  const memory = new MemoryBackend({ clock });
  const reads: string[] = [];
  const feed: ChangeFeed = {
    subscribe: (onChanges, onError, onHealth) =>
      memory.changes().subscribe((changes) => onChanges(changes.filter((r) => !lose(r))), onError, onHealth),
  };
  let failReads = false;
  const backend: Backend = withOverrides(memory, {
    changes: () => feed,
    get: (partition, key, options) => {
      reads.push(key);
      if (failReads) return Promise.reject(new BackendError('GetItem', 'refused (test)', false));
      return memory.get(partition, key, options);
    },
  });
  const kv = new Dynastore({ backend: memory, clock }).partition('p');
  return { clock, deps: { backend, clock }, kv, reads, failReadsFromNowOn: () => (failReads = true) };
}

const lostVersion =
  (...versions: number[]) =>
  (r: ChangeRecord) =>
    r.key === 'a' && r.type === 'put' && versions.includes(r.item?.version ?? -1);

describe('a watch whose feed lost a record', () => {
  it('re-reads the key at the next record and reports its current state (cause resync)', async () => {
    const { clock, deps, kv, reads } = lossyStore(lostVersion(2));
    const w = collect(watchKey(deps, 'p', 'a'));
    await clock.advance(0);
    await kv.put('a', 'x'); // v1
    await kv.put('a', 'y'); // v2: lost
    await kv.put('a', 'z'); // v3: does not connect to v1, and is newer: a gap
    await clock.advance(0);
    await kv.put('a', 'w'); // v4: connects to the re-read v3
    await clock.advance(0);
    expect(w.labels()).toEqual([
      'a gone snapshot',
      'a=x@1 write',
      'a=z@3 resync (was x@1)',
      'a=w@4 write (was z@3)',
    ]);
    expect(reads).toEqual(['a', 'a']); // the snapshot and one re-read
    expect(w.errors).toEqual([]);
    w.sub.unsubscribe();
  });

  it('stalls silently without the fix (the sim mutant watch-skips-gap): the test can fail', async () => {
    const { clock, deps, kv } = lossyStore(lostVersion(2));
    watchTestMutants.skipGaps = true;
    try {
      const w = collect(watchKey(deps, 'p', 'a'));
      await clock.advance(0);
      for (const v of ['x', 'y', 'z', 'w']) await kv.put('a', v);
      await clock.advance(0);
      expect(w.labels()).toEqual(['a gone snapshot', 'a=x@1 write']);
      w.sub.unsubscribe();
    } finally {
      watchTestMutants.skipGaps = false;
    }
  });

  it('re-reads a key of a prefix watch; the other keys go on', async () => {
    const { clock, deps, kv } = lossyStore(lostVersion(1));
    const w = collect(watchPrefix(deps, 'p', ''));
    await clock.advance(0);
    await kv.put('a', 'x'); // v1 lost: the watch knows a as absent
    await kv.put('b', 'q');
    await kv.put('a', 'y'); // v2, from a row the watch never saw
    await clock.advance(0);
    expect(w.labels()).toEqual(['b=q@1 write', 'a=y@2 resync']);
    w.sub.unsubscribe();
  });

  it('skips a redelivered older record without reading again', async () => {
    const clock = new VirtualClock();
    const memory = new MemoryBackend({ clock });
    const seen: ChangeRecord[] = [];
    let replay: ((records: readonly ChangeRecord[]) => void) | undefined;
    const feed: ChangeFeed = {
      subscribe: (onChanges, onError) => {
        replay = onChanges;
        return memory.changes().subscribe((changes) => {
          seen.push(...changes);
          onChanges(changes);
        }, onError);
      },
    };
    let reads = 0;
    const backend = withOverrides(memory, {
      changes: () => feed,
      get: (...a) => {
        reads++;
        return memory.get(...a);
      },
    });
    const kv = new Dynastore({ backend: memory, clock }).partition('p');
    const w = collect(watchKey({ backend, clock }, 'p', 'a'));
    await clock.advance(0);
    for (const v of ['x', 'y', 'z']) await kv.put('a', v);
    await clock.advance(0);
    replay?.(seen.slice(0, 2)); // a poller restarted from an older position
    await kv.put('a', 'w');
    await clock.advance(0);
    expect(w.labels()).toEqual([
      'a gone snapshot',
      'a=x@1 write',
      'a=y@2 write (was x@1)',
      'a=z@3 write (was y@2)',
      'a=w@4 write (was z@3)',
    ]);
    expect(reads).toBe(1);
    w.sub.unsubscribe();
  });

  it('ends the watch with the error of a failed re-read (never a silent stall)', async () => {
    const { clock, deps, kv, failReadsFromNowOn } = lossyStore(lostVersion(2));
    const w = collect(watchKey(deps, 'p', 'a'));
    await clock.advance(0);
    await kv.put('a', 'x');
    failReadsFromNowOn();
    await kv.put('a', 'y');
    await kv.put('a', 'z');
    await clock.advance(0);
    expect(w.labels()).toEqual(['a gone snapshot', 'a=x@1 write']);
    expect(w.errors).toHaveLength(1);
    expect(w.errors[0]).toBeInstanceOf(BackendError);
  });
});
