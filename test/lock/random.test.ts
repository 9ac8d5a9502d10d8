import { describe, expect, it } from 'vitest';
import { prng } from '../../chaos/util/random.js';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { ValidationError } from '../../src/contract/errors/index.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import { FaultyBackend, isGrant, transient } from './support/sim.js';

/**
 * A contended lock under a virtual clock: A holds, B waits (polling with jittered backoff, its
 * grants throttled now and then), A releases, B gets it. Returns B's calls with their virtual
 * times, and how often each store drew from its `random`.
 */
async function contendedRun(seed: number) {
  const clock = new VirtualClock();
  const memory = new MemoryBackend({ clock });
  const draws = { a: 0, b: 0 };
  const counted = (name: 'a' | 'b', rand: () => number) => () => {
    draws[name]++;
    return rand();
  };
  const a = new Dynastore({ backend: memory, clock, random: counted('a', prng(seed)) });
  const bBackend = new FaultyBackend(memory, clock);
  bBackend.faults.push({ op: 'write', when: 'before', count: 3, match: isGrant, error: transient });
  const b = new Dynastore({ backend: bBackend, clock, random: counted('b', prng(seed + 1)) });
  const opts = { leaseMs: 1_000, maxClockSkewMs: 100, wakeOnChange: false };
  const held = await a.lock('job', { ...opts, owner: 'a' }).acquire();
  const times: string[] = [];
  const waiting = b.lock('job', { ...opts, owner: 'b' }).acquire({ waitMs: 10_000 });
  const original = bBackend.get.bind(bBackend);
  bBackend.get = (...args) => {
    times.push(`get@${clock.monotonic()}`);
    return original(...args);
  };
  await clock.advance(2_500);
  await held.release();
  await clock.advanceUntil(() => times.length > 0 && bBackend.count('write') > 3, 5_000);
  const lease = await waiting;
  await lease.release();
  return { times, draws, writes: bBackend.count('write') };
}

describe('the random option (seeded jitter for exact replays)', () => {
  it('is validated', () => {
    const backend = new MemoryBackend();
    expect(() => new Dynastore({ backend, random: 0.5 as never })).toThrow(ValidationError);
    expect(() => new Dynastore({ backend, random: 0.5 as never })).toThrow(/Dynastore\.random/);
    expect(new Dynastore({ backend }).random).toBe(Math.random);
  });

  it('feeds lock retry and poll jitter: the same seed replays the same waits, another seed differs', async () => {
    const one = await contendedRun(7);
    const two = await contendedRun(7);
    const other = await contendedRun(8);
    expect(one.draws.b).toBeGreaterThan(3);
    expect(one.times.length).toBeGreaterThan(2);
    expect(two).toEqual(one);
    expect(other.times).not.toEqual(one.times);
  });
});
