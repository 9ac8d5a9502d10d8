import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/contract/errors/store.js';
import { simulation } from './support/sim.js';

/**
 * The lock option names come from one list (src/lock/options.ts); every recipe that accepts them
 * must keep accepting exactly these and name them, in this order, when it rejects an unknown one.
 */
const LOCK =
  'leaseMs, heartbeatMs, maxClockSkewMs, owner, data, prefix, retentionMs, pollMs, wakeOnChange, maxOutageMs';
const ELECTION =
  'leaseMs, heartbeatMs, maxClockSkewMs, prefix, retentionMs, pollMs, wakeOnChange, maxOutageMs';

function rejection(f: () => unknown): ValidationError {
  try {
    f();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('no ValidationError');
}

async function rejectionOf(p: Promise<unknown>): Promise<ValidationError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ValidationError)) throw new Error(`not a ValidationError: ${String(err)}`);
  return err;
}

describe('lock option names: one list, the same everywhere', () => {
  it('lock, semaphore, withLock and election name the same known options', async () => {
    const { store } = simulation().store();
    const bogus = { bogusMs: 1 } as never;
    const lock = rejection(() => store.lock('k', bogus));
    expect(lock.field).toBe('lock.bogusMs');
    expect(lock.message).toBe(`lock.bogusMs: unknown option (known: ${LOCK})`);
    const sem = rejection(() => store.semaphore('s', { permits: 2, ...(bogus as object) }));
    expect(sem.message).toBe(`semaphore.bogusMs: unknown option (known: ${LOCK})`);
    const withLock = await rejectionOf(store.withLock('k', () => 1, bogus));
    expect(withLock.message).toBe(`withLock.bogusMs: unknown option (known: waitMs, signal, ${LOCK})`);
    for (const name of ['bogusMs', 'owner', 'data']) {
      const election = rejection(() => store.election('e', { [name]: 'x' } as never));
      expect(election.message).toBe(`election.${name}: unknown option (known: ${ELECTION})`);
    }
  });

  it('every listed option is accepted by each of them', async () => {
    const { store } = simulation().store();
    const all = {
      leaseMs: 3_000,
      heartbeatMs: 1_000,
      maxClockSkewMs: 100,
      owner: 'me',
      data: 'd',
      prefix: 'p/',
      retentionMs: 5_000,
      pollMs: 50,
      wakeOnChange: false,
      maxOutageMs: 1_000,
    };
    expect(store.lock('k', all).options).toMatchObject(all);
    expect(store.semaphore('s', { permits: 2, ...all }).options).toMatchObject(all);
    expect(await store.withLock('k', () => 'done', { ...all, waitMs: 0 })).toBe('done');
    const { owner: _o, data: _d, ...timing } = all;
    expect(store.election('e', timing).options).toEqual(timing);
  });
});
