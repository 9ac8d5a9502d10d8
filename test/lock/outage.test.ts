import { firstValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockTimeoutError } from '../../src/contract/errors/lock.js';
import { BackendError, ValidationError } from '../../src/contract/errors/store.js';
import type { Lease } from '../../src/lock/lease.js';
import { settle, simulation, trackUnhandled } from './support/sim.js';

// Waiting on a store that fails every call (DynamoDB unreachable, throttled, 5xx) ends after
// `maxOutageMs` with the last BackendError, on the memory backend under the virtual clock.

const opts = { leaseMs: 1_000, maxClockSkewMs: 100, heartbeatMs: 300, pollMs: 250 };
const OUTAGE = 5_000;

/** What the DynamoDB backend throws when nothing answers at the endpoint (the cause is Node's). */
function unreachable(): BackendError {
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
    code: 'ECONNREFUSED',
    syscall: 'connect',
  });
  return new BackendError(
    'UpdateItem',
    'nothing answers at http://127.0.0.1:9 (connection refused, ECONNREFUSED)',
    true,
    { cause, unreachable: true },
  );
}

/** A store whose every call fails with a fresh error; `thrown` holds the errors in order. */
function cutOff(backend: { down: (() => Error) | undefined }) {
  const thrown: BackendError[] = [];
  backend.down = () => {
    const err = unreachable();
    thrown.push(err);
    return err;
  };
  return thrown;
}

let unhandled: ReturnType<typeof trackUnhandled>;
beforeEach(() => {
  unhandled = trackUnhandled();
});
afterEach(() => {
  unhandled.stop();
  expect(unhandled.errors).toEqual([]);
});

describe('acquire against a store that fails every call', () => {
  it('rejects with the last BackendError (cause chain intact) once every call failed for maxOutageMs', async () => {
    const sim = simulation();
    const a = sim.store();
    const thrown = cutOff(a.backend);
    const p = settle(a.store.lock('job', { ...opts, maxOutageMs: OUTAGE }).acquire());
    await sim.clock.advance(OUTAGE - 100);
    expect(p.done).toBe(false);
    expect(a.backend.calls.length).toBeGreaterThan(5); // it kept trying meanwhile
    await sim.clock.advanceUntil(() => p.done, 1_000, 1);
    expect(sim.clock.monotonic()).toBeLessThanOrEqual(OUTAGE + opts.pollMs);
    expect(p.error).toBeInstanceOf(BackendError);
    expect(p.error).toBe(thrown[thrown.length - 1]);
    expect((p.error as BackendError).unreachable).toBe(true);
    expect(((p.error as BackendError).cause as { code?: string }).code).toBe('ECONNREFUSED');
    const calls = a.backend.calls.length;
    await sim.clock.advance(10 * OUTAGE);
    expect(a.backend.calls.length).toBe(calls); // nothing left running
    expect(sim.clock.pendingTimers).toBe(0);
  });

  it('gives up after 30 s by default', async () => {
    const sim = simulation();
    const a = sim.store();
    cutOff(a.backend);
    const p = settle(a.store.lock('job', opts).acquire());
    await sim.clock.advance(29_900);
    expect(p.done).toBe(false);
    await sim.clock.advanceUntil(() => p.done, 1_000, 1);
    expect(p.error).toBeInstanceOf(BackendError);
    expect(sim.clock.monotonic()).toBeLessThanOrEqual(30_000 + opts.pollMs);
  });

  it('a waitMs that runs out while every call failed rejects with the BackendError, not LockTimeoutError', async () => {
    const sim = simulation();
    const a = sim.store();
    const thrown = cutOff(a.backend);
    const p = settle(a.store.lock('job', { ...opts, maxOutageMs: OUTAGE }).acquire({ waitMs: 2_000 }));
    await sim.clock.advanceUntil(() => p.done, 3_000, 1);
    expect(sim.clock.monotonic()).toBeLessThanOrEqual(2_000 + 1);
    expect(p.error).toBe(thrown[thrown.length - 1]);
  });

  it('counts the outage from the first call that failed after the last answer: a lock seen held, then an outage', async () => {
    const sim = simulation();
    const holder = await sim.store().store.lock('job', opts).acquire();
    const w = sim.store();
    const p = settle(w.store.lock('job', { ...opts, maxOutageMs: OUTAGE }).acquire());
    await sim.clock.advance(2_000); // refused, then polling: the store answers
    expect(p.done).toBe(false);
    const cutAt = sim.clock.monotonic();
    cutOff(w.backend);
    await sim.clock.advance(OUTAGE - 2 * opts.pollMs);
    expect(p.done).toBe(false);
    await sim.clock.advanceUntil(() => p.done, 2_000, 1);
    expect(p.error).toBeInstanceOf(BackendError);
    // the waiter's feed is live, so its next call (the one that notices the outage) is a safety
    // read at most 1.2 leases after its last read
    expect(sim.clock.monotonic() - cutAt).toBeLessThanOrEqual(OUTAGE + 1.2 * opts.leaseMs + opts.pollMs);
    await holder.release();
  });

  it('an outage shorter than maxOutageMs is sat through, however often it recurs', async () => {
    const sim = simulation();
    const holder = await sim.store().store.lock('job', { ...opts, heartbeatMs: false, leaseMs: 900_000 });
    const lease = await holder.acquire();
    const w = sim.store();
    const p = settle(w.store.lock('job', { ...opts, maxOutageMs: OUTAGE }).acquire());
    for (let i = 0; i < 5; i++) {
      cutOff(w.backend);
      await sim.clock.advance(OUTAGE - 1_000);
      w.backend.down = undefined;
      await sim.clock.advance(1_000); // a few polls answer
    }
    expect(p.done).toBe(false);
    await lease.release();
    await sim.clock.advanceUntil(() => p.done, 2_000);
    expect(p.value).toBeDefined();
    await (p.value as Lease).release();
  });

  it('a wait that ends after the store answered is still a LockTimeoutError, with the last error as cause', async () => {
    const sim = simulation();
    const holder = await sim.store().store.lock('job', opts).acquire();
    const w = sim.store();
    const p = settle(w.store.lock('job', { ...opts, maxOutageMs: OUTAGE }).acquire({ waitMs: 2_000 }));
    await sim.clock.advance(1_000);
    cutOff(w.backend);
    await sim.clock.advanceUntil(() => p.done, 2_000, 1);
    expect(p.error).toBeInstanceOf(LockTimeoutError);
    expect((p.error as LockTimeoutError).cause).toBeInstanceOf(BackendError);
    await holder.release();
  });

  it('maxOutageMs: Infinity keeps trying until waitMs or the signal', async () => {
    const sim = simulation();
    const a = sim.store();
    cutOff(a.backend);
    const ctl = new AbortController();
    const p = settle(
      a.store.lock('job', { ...opts, maxOutageMs: Number.POSITIVE_INFINITY }).acquire({ signal: ctl.signal }),
    );
    await sim.clock.advance(120_000);
    expect(p.done).toBe(false);
    ctl.abort(new Error('enough'));
    await sim.clock.advance(1);
    expect(p.error).toMatchObject({ message: 'enough' });
  });

  it('non-retryable errors (missing table, bad credentials) reject at once, for every kind of wait', async () => {
    const sim = simulation();
    const a = sim.store();
    a.backend.down = () => new BackendError('UpdateItem', 'ResourceNotFoundException: no table', false);
    const store = a.store;
    const starts: (() => Promise<unknown>)[] = [
      () => store.lock('job', opts).acquire(),
      () => store.semaphore('sem', { ...opts, permits: 2 }).acquire(),
      () => store.election('e', opts).campaign('node-1'),
      () => store.election('e', opts).run('node-1', { onStartedLeading: () => {} }),
    ];
    for (const start of starts) {
      const p = settle(start());
      await sim.clock.advance(0);
      expect(p.done).toBe(true);
      expect(p.error).toMatchObject({ name: 'BackendError', retryable: false });
    }
  });
});

describe('semaphores and elections give up alike', () => {
  it('semaphore acquire', async () => {
    const sim = simulation();
    const a = sim.store();
    const thrown = cutOff(a.backend);
    const p = settle(a.store.semaphore('sem', { ...opts, permits: 3, maxOutageMs: OUTAGE }).acquire());
    await sim.clock.advance(OUTAGE - 100);
    expect(p.done).toBe(false);
    await sim.clock.advanceUntil(() => p.done, 1_000, 1);
    expect(p.error).toBe(thrown[thrown.length - 1]);
  });

  it('a semaphore whose slots were seen full, then an outage', async () => {
    const sim = simulation();
    const held = await sim
      .store()
      .store.semaphore('sem', { ...opts, permits: 1 })
      .acquire();
    const w = sim.store();
    const p = settle(w.store.semaphore('sem', { ...opts, permits: 1, maxOutageMs: OUTAGE }).acquire());
    await sim.clock.advance(500);
    cutOff(w.backend);
    await sim.clock.advanceUntil(() => p.done, 2 * OUTAGE, 1);
    expect(p.error).toBeInstanceOf(BackendError);
    await held.release();
  });

  it('campaign and run', async () => {
    const sim = simulation();
    const a = sim.store();
    const thrown = cutOff(a.backend);
    const election = a.store.election('e', { ...opts, maxOutageMs: OUTAGE });
    const campaign = settle(election.campaign('node-1'));
    let stopped = 0;
    const run = settle(
      election.run('node-2', {
        onStartedLeading: () => {},
        onStoppedLeading: () => {
          stopped++;
        },
      }),
    );
    await sim.clock.advance(OUTAGE - 100);
    expect(campaign.done || run.done).toBe(false);
    await sim.clock.advanceUntil(() => campaign.done && run.done, 1_000, 1);
    expect(thrown).toContain(campaign.error);
    expect(thrown).toContain(run.error);
    expect(stopped).toBe(1);
  });

  it('observe() and leader() hand the error on at once (the memory feed itself never fails)', async () => {
    const sim = simulation();
    const a = sim.store();
    const thrown = cutOff(a.backend);
    const election = a.store.election('e', opts);
    await expect(election.leader()).rejects.toBe(thrown[0]);
    await expect(firstValueFrom(election.observe())).rejects.toBeInstanceOf(BackendError);
    await expect(firstValueFrom(a.store.partition('p').watch('k'))).rejects.toBeInstanceOf(BackendError);
  });
});

describe('maxOutageMs is validated', () => {
  it('accepts a positive duration or Infinity, refuses anything else with the field named', () => {
    const sim = simulation();
    const { store } = sim.store();
    expect(store.lock('a').options.maxOutageMs).toBe(30_000);
    expect(store.lock('a', { maxOutageMs: 1_000 }).options.maxOutageMs).toBe(1_000);
    expect(store.lock('a', { maxOutageMs: Number.POSITIVE_INFINITY }).options.maxOutageMs).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(store.election('e', { maxOutageMs: 2_000 }).options.maxOutageMs).toBe(2_000);
    expect(store.semaphore('s', { permits: 2, maxOutageMs: 2_000 }).options.maxOutageMs).toBe(2_000);
    for (const bad of [0, -1, Number.NaN, Number.NEGATIVE_INFINITY, '30s', null]) {
      for (const [field, make] of [
        ['lock.maxOutageMs', () => store.lock('a', { maxOutageMs: bad as never })],
        ['election.maxOutageMs', () => store.election('e', { maxOutageMs: bad as never })],
        ['semaphore.maxOutageMs', () => store.semaphore('s', { permits: 2, maxOutageMs: bad as never })],
      ] as const) {
        let error: unknown;
        try {
          make();
        } catch (err) {
          error = err;
        }
        expect(error, `${field} = ${String(bad)}`).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe(field);
      }
    }
  });
});
