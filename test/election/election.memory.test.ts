import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import type { LeaseLostError } from '../../src/contract/errors/lock.js';
import { ValidationError } from '../../src/contract/errors/store.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import type { MemoryFeed } from '../../src/memory/feed.js';
import { memoryHarness } from '../contract/harness.js';
import { electionContract } from './election-contract.js';

describe('election on the memory backend (virtual clock)', () => {
  electionContract(() => memoryHarness(), { leaseMs: 1_000, heartbeatMs: 300, maxClockSkewMs: 100 });
});

describe('election options and sharing', () => {
  const store = () => {
    const clock = new VirtualClock();
    const backend = new MemoryBackend({ clock });
    return { clock, backend, store: new Dynastore({ backend, clock }) };
  };

  it('validates timing like the lock does, at construction', () => {
    const { store: s } = store();
    expect(() => s.election('e', { leaseMs: 1_000, heartbeatMs: 600 })).toThrow(ValidationError);
    expect(() => s.election('e', { leaseMs: 1_000, maxClockSkewMs: 1_000 })).toThrow(/maxClockSkewMs/);
    expect(() => s.election('e', { leaseMs: -1 })).toThrow(/leaseMs/);
    expect(() => s.election('e', { owner: 'x' } as never)).toThrow(/election.owner: unknown option/);
    expect(() => s.election('')).toThrow(ValidationError);
    expect(s.election('e', { leaseMs: 3_000 }).options).toMatchObject({
      leaseMs: 3_000,
      heartbeatMs: 1_000,
      maxClockSkewMs: 1_000,
      prefix: '',
    });
  });

  it('rejects bad campaign input before any write', async () => {
    const { store: s, backend } = store();
    const e = s.election('e');
    await expect(e.campaign('')).rejects.toThrow(ValidationError);
    await expect(e.campaign('a', { bogus: 1 } as never)).rejects.toThrow(/campaign.bogus/);
    await expect(e.run('a', {} as never)).rejects.toThrow(/onStartedLeading/);
    await expect(e.run('a', { onStartedLeading: () => {}, onStarted: () => {} } as never)).rejects.toThrow(
      /unknown callback/,
    );
    expect(await backend.get('_election/e', 'e')).toBeUndefined();
  });

  it('shares one feed subscription among observers and drops it when the last leaves', async () => {
    const { store: s, backend, clock } = store();
    const feed = backend.changes() as MemoryFeed;
    const e = s.election('shared');
    const subs = Array.from({ length: 5 }, () => e.observe().subscribe());
    await clock.advance(10);
    expect(feed.listenerCount).toBe(1);
    expect(await firstValueFrom(e.observe())).toBeUndefined();
    for (const sub of subs) sub.unsubscribe();
    expect(feed.listenerCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a partitioned leader is told before its successor is elected', async () => {
    const clock = new VirtualClock();
    const backend = new MemoryBackend({ clock });
    let cut = false;
    const flaky = new Proxy(backend, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (cut && (prop === 'write' || prop === 'get')) return Promise.reject(new Error('network down'));
          return Reflect.apply(value, target, args);
        };
      },
    });
    const t = { leaseMs: 1_000, heartbeatMs: 300, maxClockSkewMs: 100 };
    const cutOff = new Dynastore({ backend: flaky, clock });
    const healthy = new Dynastore({ backend, clock });
    const old = await cutOff.election('p', t).campaign('old');
    let lostAt: number | undefined;
    let electedAt: number | undefined;
    old.signal.addEventListener('abort', () => {
      lostAt = clock.monotonic();
    });
    cut = true;
    const next = healthy
      .election('p', t)
      .campaign('new')
      .then((l) => {
        electedAt = clock.monotonic();
        return l;
      });
    await clock.advanceUntil(() => electedAt !== undefined, 5_000);
    expect(lostAt).toBeDefined();
    expect(lostAt).toBeLessThanOrEqual(electedAt ?? 0);
    expect((old.signal.reason as LeaseLostError).reason).toBe('expired');
    cut = false;
    await (await next).resign();
  });

  it('run(): a stopped run waits for work that ignores its signal on the election clock, not the machine', async () => {
    const { clock, store: s } = store();
    const stop = new AbortController();
    let started = false;
    const run = s.election('e', { leaseMs: 2_000, heartbeatMs: 500, maxClockSkewMs: 100 }).run(
      'a',
      {
        onStartedLeading: () => {
          started = true;
          return new Promise(() => {}); // never settles, ignores its signal
        },
      },
      { signal: stop.signal },
    );
    await clock.advanceUntil(() => started, 1_000);
    let result: unknown;
    void run.then((r) => {
      result = r;
    });
    stop.abort();
    await clock.advance(1_900);
    expect(result).toBeUndefined(); // still waiting for the work, up to leaseMs
    await clock.advance(200);
    expect(result).toMatchObject({ ended: 'aborted' });
  });
});
