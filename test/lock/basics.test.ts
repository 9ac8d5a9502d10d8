import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/contract/errors/base.js';
import { LeaseLostError, LockTimeoutError } from '../../src/contract/errors/lock.js';
import { ValidationError } from '../../src/contract/errors/store.js';
import { simulation } from './support/sim.js';

describe('lock: grants, release and cost', () => {
  it('an uncontended acquire is one conditional write, a renewal one write, a release one write', async () => {
    const sim = simulation();
    const { store } = sim.store();
    const lock = store.lock('job', { leaseMs: 3_000 });
    const lease = await lock.acquire();
    expect(sim.events.map((e) => e.operation)).toEqual(['UpdateItem']);
    expect(sim.events[0]?.error).toBeUndefined();
    await sim.clock.advance(1_000); // default heartbeat: leaseMs / 3
    expect(sim.events.map((e) => e.operation)).toEqual(['UpdateItem', 'UpdateItem']);
    await lease.release();
    expect(sim.events.map((e) => e.operation)).toEqual(['UpdateItem', 'UpdateItem', 'UpdateItem']);
    expect(sim.events.every((e) => e.error === undefined)).toBe(true);
    expect(sim.events.reduce((n, e) => n + (e.consumedCapacity?.writeUnits ?? 0), 0)).toBe(3);
  });

  it('holder() shows owner, token and data while held, and nothing once released', async () => {
    const sim = simulation();
    const { store } = sim.store();
    const lock = store.lock('job', { owner: 'worker-1', data: '{"pid":1}' });
    expect(await lock.holder()).toBeUndefined();
    const lease = await lock.acquire();
    const h = await lock.holder();
    expect(h).toMatchObject({
      key: 'job',
      owner: 'worker-1',
      token: lease.token,
      data: '{"pid":1}',
      leaseMs: 10_000,
    });
    expect(h?.expiresAt.getTime()).toBe(sim.clock.now() + 10_000);
    await lease.release();
    expect(await lock.holder()).toBeUndefined();
    // the row stays, with its token, for the retention period
    const row = sim.memory.dump().find((r) => r.key === 'job');
    expect(row?.fields.owner).toBeUndefined();
    expect(BigInt(row?.fields.token as bigint)).toBe(lease.token);
    expect(row?.expiresSec).toBe(Math.ceil((sim.clock.now() + 86_400_000) / 1000));
  });

  it('the token is the hybrid floor wall-ms * 1000 and strictly increases over grants', async () => {
    const sim = simulation();
    const { store } = sim.store();
    const lock = store.lock('job');
    const tokens: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      const lease = await lock.acquire(); // same virtual millisecond each time
      tokens.push(lease.token);
      await lease.release();
    }
    expect(tokens[0]).toBe(BigInt(sim.clock.now()) * 1000n);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBe((tokens[i - 1] as bigint) + 1n);
  });

  it('a second acquire waits; tryAcquire returns undefined at once; waitMs gives LockTimeoutError', async () => {
    const sim = simulation();
    const a = sim.store().store.lock('job', { owner: 'a' });
    const b = sim.store().store.lock('job', { owner: 'b' });
    const lease = await a.acquire();
    expect(await b.tryAcquire()).toBeUndefined();
    const waiting = b.acquire({ waitMs: 2_000 }).catch((e: unknown) => e);
    await sim.clock.advance(2_100);
    const err = await waiting;
    expect(err).toBeInstanceOf(LockTimeoutError);
    expect((err as LockTimeoutError).code).toBe(ErrorCode.LockTimeout);
    expect((err as LockTimeoutError).holder?.owner).toBe('a');
    expect(lease.signal.aborted).toBe(false);
    await lease.release();
    expect(await b.tryAcquire()).toBeDefined();
  });

  it('release is idempotent, aborts the signal with reason "released", and renew() afterwards rejects', async () => {
    const sim = simulation();
    const lease = await sim.store().store.lock('job').acquire();
    const p1 = lease.release();
    const p2 = lease.release();
    expect(p1).toBe(p2);
    await p1;
    await lease.release();
    expect(lease.signal.aborted).toBe(true);
    expect(lease.signal.reason).toBeInstanceOf(LeaseLostError);
    expect((lease.signal.reason as LeaseLostError).reason).toBe('released');
    await expect(lease.renew()).rejects.toMatchObject({ name: 'LeaseLostError', reason: 'released' });
    expect(lease.held).toBe(false);
    expect(lease.remainingMs()).toBe(0);
    expect(sim.clock.pendingTimers).toBe(0);
  });

  it('await using releases at the end of the block', async () => {
    const sim = simulation();
    const lock = sim.store().store.lock('job');
    {
      await using lease = await lock.acquire();
      expect(lease.held).toBe(true);
    }
    expect(await lock.holder()).toBeUndefined();
  });

  it('acquire rejects with the abort reason and unsubscribes from the change feed', async () => {
    const sim = simulation();
    const held = await sim.store().store.lock('job').acquire();
    const ctl = new AbortController();
    const waiting = sim
      .store()
      .store.lock('job')
      .acquire({ signal: ctl.signal })
      .catch((e: unknown) => e);
    await sim.clock.advance(500);
    const feed = sim.memory.changes() as unknown as { listenerCount: number };
    expect(feed.listenerCount).toBe(1);
    ctl.abort(new Error('shutting down'));
    expect(await waiting).toMatchObject({ message: 'shutting down' });
    expect(feed.listenerCount).toBe(0);
    await held.release();
  });
});

describe('lock: options are validated at construction', () => {
  const sim = simulation();
  const { store, backend } = sim.store();
  const bad: [string, Record<string, unknown>][] = [
    ['unknown name', { leaseMS: 1_000 }],
    ['heartbeat leaves no room for two renewals', { leaseMs: 1_000, heartbeatMs: 500 }],
    ['skew not below lease', { leaseMs: 1_000, maxClockSkewMs: 1_000 }],
    ['negative lease', { leaseMs: -1 }],
    ['NaN heartbeat', { heartbeatMs: Number.NaN }],
    ['empty owner', { owner: '' }],
    ['oversized data', { data: 'x'.repeat(2_000) }],
    ['retention below skew', { retentionMs: 1_000, maxClockSkewMs: 2_000 }],
    ['wakeOnChange not boolean', { wakeOnChange: 'yes' }],
    ['zero pollMs', { pollMs: 0 }],
  ];
  for (const [what, options] of bad) {
    it(`rejects ${what}`, () => {
      expect(() => store.lock('job', options)).toThrow(ValidationError);
    });
  }
  it('rejects bad keys and acquire options before any call', async () => {
    expect(() => store.lock('')).toThrow(ValidationError);
    expect(() => store.lock('x'.repeat(1_025))).toThrow(ValidationError);
    await expect(store.lock('job').acquire({ waitMs: -5 })).rejects.toThrow(ValidationError);
    await expect(store.lock('job').acquire({ timeout: 5 } as never)).rejects.toThrow(ValidationError);
    await expect(store.withLock('job', async () => 1, { leaseMS: 5 } as never)).rejects.toThrow(
      ValidationError,
    );
    expect(backend.calls).toHaveLength(0);
  });
  it('accepts heartbeatMs: false and fills defaults', () => {
    const o = store.lock('job', { leaseMs: 600, heartbeatMs: false, maxClockSkewMs: 50 }).options;
    expect(o).toMatchObject({
      leaseMs: 600,
      heartbeatMs: false,
      maxClockSkewMs: 50,
      pollMs: 150,
      prefix: '',
    });
    expect(store.lock('job').partition).toBe('_lock/job');
    expect(store.lock('job', { prefix: 'tenant-a/' }).partition).toBe('tenant-a/_lock/job');
    expect(() => store.lock('job', { leaseMs: 600 })).toThrow(/pass a smaller maxClockSkewMs/);
    expect(store.lock('job').options.heartbeatMs).toBeCloseTo(10_000 / 3);
  });
});
