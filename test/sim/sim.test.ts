import { describe, expect, it } from 'vitest';
import { KEYS } from '../../sim/actors.js';
import { longOverlaps } from '../../sim/check.js';
import { EPOCH_MS, SimClock } from '../../sim/clock.js';
import { Connection } from '../../sim/connection.js';
import { drawFaults } from '../../sim/faults.js';
import { SimLog } from '../../sim/log.js';
import { MUTANTS, type MutantName } from '../../sim/mutants.js';
import { Network } from '../../sim/network.js';
import { Recorder } from '../../sim/record.js';
import { probeLiveness, runSeed, type SeedResult } from '../../sim/seed.js';
import { describeFailure } from '../../sim/trace.js';
import { World } from '../../sim/world.js';
import { MemoryBackend } from '../../src/testing.js';

const SIM_MS = 6_000;

describe('the simulated world', () => {
  it('fires events in true-time order, holds a paused process, drops a crashed one', async () => {
    const world = new World();
    const seen: string[] = [];
    const a = world.spawn(1);
    const b = world.spawn(2);
    world.at(30, a, () => seen.push('a30'));
    world.at(10, b, () => seen.push('b10'));
    world.at(20, undefined, () => seen.push('net20'));
    world.pause(1);
    world.at(40, undefined, () => world.resume(1));
    world.at(35, b, () => seen.push('b35'));
    world.at(50, b, () => seen.push('b50'));
    world.at(45, undefined, () => world.crash(2));
    await world.runUntil(100);
    expect(seen).toEqual(['b10', 'net20', 'b35', 'a30']);
    expect(world.alive(a)).toBe(true);
    expect(world.alive(b)).toBe(false);
    expect(world.alive(world.spawn(2))).toBe(true);
  });

  it('gives each process a skewed, drifting clock whose timers run on its own time', async () => {
    const world = new World();
    const owner = world.spawn(1);
    const clock = new SimClock(world, owner, { rate: 1.01, wallErrorMs: 250, monoStartMs: 5_000 });
    expect(clock.wallErrorMs()).toBeCloseTo(250);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(world.now), 101);
    await world.runUntil(1_000);
    expect(fired).toEqual([100]);
    expect(clock.monotonic()).toBeCloseTo(5_000 + 1_010);
    clock.setWallError(-300);
    expect(clock.wallErrorMs()).toBeCloseTo(-300);
  });
});

describe('the store boundary check', () => {
  // Found by the session workload: one process held two locks under one owner name, granted in
  // the same millisecond (same token). A renewal of one in flight was taken for the other's, and
  // the other's release was reported as sent during its own renewal.
  it('tells apart two leases of one owner and token on two keys', async () => {
    const world = new World();
    const log = new SimLog(world);
    const calm = {
      throttle: 0,
      timeoutBefore: 0,
      lostAnswer: 0,
      spike: 0,
      slow: 0,
      lateApply: 0,
      feedStall: 0,
      feedDuplicate: 0,
      feedBehind: 0,
      feedError: 0,
      feedReplay: 0,
      feedLose: 0,
    };
    const rates = {
      ...calm,
      latencyMs: [5, 5],
      spikeMs: [0, 0],
      timeoutMs: [100, 100],
      lateMs: [300, 300],
      feedDelayMs: [1, 1],
      readyMs: [0, 0],
    } as const;
    const net = new Network(world, new MemoryBackend(), () => 0.5, rates, log, undefined);
    const owner = world.spawn(1);
    const clock = new SimClock(world, owner, { rate: 1, wallErrorMs: 0, monoStartMs: 0 });
    const violations: string[] = [];
    const conn = new Connection(net, owner, clock, 'p1.1', (v) => violations.push(v));
    const lease = { owner: 'p1.1/plain', token: 1_700_000_000_000_000n };
    const heldBy = {
      op: 'and',
      all: [
        { op: 'cmp', attr: 'field:owner', cmp: '=', value: lease.owner },
        { op: 'cmp', attr: 'field:token', cmp: '=', value: lease.token },
      ],
    } as const;
    const call = async <T>(p: Promise<T>): Promise<T> => {
      await world.runUntil(world.now + 50);
      return p;
    };
    for (const key of ['a', 'b']) {
      const fields = { ...lease, leaseMs: 600, leaseUntil: 1_700_000_000_600 };
      expect((await call(conn.write({ partition: `_lock/${key}`, key, fields }))).ok).toBe(true);
    }
    // b's renewal is in flight when a's release is sent (a has no renewal in flight)
    const renewB = conn.write({
      partition: '_lock/b',
      key: 'b',
      fields: { leaseUntil: 1_700_000_000_700 },
      condition: heldBy,
    });
    const releaseA = conn.write({
      partition: '_lock/a',
      key: 'a',
      fields: { owner: null },
      condition: heldBy,
    });
    await call(Promise.all([renewB, releaseA]));
    expect(violations).toEqual([]);
  });
});

describe('npm run sim', () => {
  it('replays a seed byte for byte; another seed gives another history', async () => {
    const one = await runSeed(11, { simMs: 4_000 });
    const two = await runSeed(11, { simMs: 4_000 });
    const other = await runSeed(12, { simMs: 4_000 });
    expect(one.log.length).toBeGreaterThan(1_000);
    expect(two.hash).toBe(one.hash);
    expect(two.log).toEqual(one.log);
    expect(other.hash).not.toBe(one.hash);
  });

  it('a fixed set of seeds passes every check, with faults, pauses, crashes and clock steps', async () => {
    let operations = 0;
    let faults = 0;
    let sessionTakeovers = 0;
    for (const seed of [1, 2, 3]) {
      const r = await runSeed(seed, { simMs: SIM_MS, mode: 'bounded' });
      expect(r.verdict.violations, describeFailure(r, 30)).toEqual([]);
      operations += r.operations;
      faults += r.pauses + r.crashes + r.clockSteps;
      expect(r.verdict.stats.kvOperations).toBeGreaterThan(100);
      expect(r.verdict.stats.watchDelivered).toBeGreaterThan(10);
      expect(r.verdict.stats.leaseHolds).toBeGreaterThan(0);
      expect(r.verdict.stats.sessionHolds).toBeGreaterThan(0);
      expect(r.verdict.stats.sessionCounterAcked).toBeGreaterThan(0);
      sessionTakeovers += r.verdict.stats.sessionTakeovers ?? 0;
    }
    expect(sessionTakeovers).toBeGreaterThan(0);
    expect(operations).toBeGreaterThan(3_000);
    expect(faults).toBeGreaterThan(10);
  });

  it('beyond the skew bound two holders at once happen and are not counted; fencing still holds', async () => {
    const r = await runSeed(1, { simMs: SIM_MS, mode: 'beyond' });
    expect(r.verdict.violations, describeFailure(r, 30)).toEqual([]);
    expect(r.verdict.stats.expectedOverlaps).toBeGreaterThan(0);
    expect(r.verdict.stats.counterAcked).toBeGreaterThan(0);
  });

  it('drives the new faults: late and long requests, feed errors, replays and lost records; the probe gets every lock', async () => {
    const totals: Record<string, number> = {};
    for (const seed of [1, 2, 5]) {
      const r = await runSeed(seed, { simMs: SIM_MS, mode: 'bounded' });
      expect(r.verdict.violations, describeFailure(r, 30)).toEqual([]);
      // every lock of the pool, both permits and the election, once every holder was gone
      expect(r.verdict.stats.probeGrants).toBe(9);
      for (const [k, v] of Object.entries(r.verdict.stats)) totals[k] = (totals[k] ?? 0) + v;
    }
    for (const k of [
      'lateApplied',
      'slowRequests',
      'feedLost',
      'feedReplays',
      'feedErrors',
      'watchResyncs',
      'withLockHolds',
    ])
      expect(totals[k], k).toBeGreaterThan(0);
  });

  it('counts an overlap longer than a lease beyond the skew bound', () => {
    const line = (w: string, ev: string, token: string, m: number) => ({ w, ev, token, m });
    const lines = [
      line('p1.1', 'held', '1', 0),
      line('p2.1', 'held', '2', 100),
      line('p1.1', 'held', '1', 1_000),
      line('p2.1', 'held', '2', 1_300),
      line('p1.1', 'held', '1', 1_200), // p1.1 held on 1 100 ms after p2.1 began: more than 1.05 leases
    ];
    const events = { claim: 'held', id: 'token', start: 'granted', end: 'release' };
    expect(longOverlaps(lines, events, 1.05 * 1_000)).toHaveLength(1);
    expect(longOverlaps(lines.slice(0, 4), events, 1.05 * 1_000)).toEqual([]); // 900 ms
  });

  it('the liveness probe reports a lock that is never freed (a zombie renews it after the workload ended)', async () => {
    const world = new World();
    const log = new SimLog(world);
    const rates = drawFaults(() => 0.1, 600); // calm: level < 0.2
    const clock = new SimClock(
      world,
      { pid: 0, incarnation: 0 },
      { rate: 1, wallErrorMs: 0, monoStartMs: 0 },
    );
    const store = new MemoryBackend({ clock });
    const net = new Network(world, store, () => 0.5, rates, log, undefined);
    net.calm = true;
    const rec = new Recorder(world, log);
    const stuck = { owner: 'ghost', token: 1_700_000_000_000_000n, leaseMs: 600, leaseUntil: EPOCH_MS + 1e9 };
    await store.write({ partition: `_lock/${KEYS.leaseLock}`, key: KEYS.leaseLock, fields: stuck });
    // a holder nobody can see, renewing every 200 ms (the row changes, so rule (b) never fires)
    const renew = () => {
      void store.write({
        partition: `_lock/${KEYS.leaseLock}`,
        key: KEYS.leaseLock,
        fields: { leaseUntil: EPOCH_MS + 1e9 + world.now },
      });
      world.at(world.now + 200, undefined, renew);
    };
    renew();
    const o = {
      pid: 1,
      mode: 'bounded' as const,
      leaseMs: 600,
      maxClockSkewMs: 120,
      retentionMs: 86_400_000,
    };
    const probe = await probeLiveness(world, net, rec, log, o);
    expect(probe.granted).toBe(8); // every lock but the stuck one, both permits, the election
    expect(rec.online).toHaveLength(1);
    expect(rec.online[0]).toContain('liveness: lock lease not granted within 990 ms');
  });

  it('positions a new feed subscription late while faults run, at once after they stop (seed 69)', async () => {
    const world = new World();
    const log = new SimLog(world);
    const rates = { ...drawFaults(() => 0.1, 600), readyMs: [1_000, 1_000] as const };
    const clock = new SimClock(
      world,
      { pid: 0, incarnation: 0 },
      { rate: 1, wallErrorMs: 0, monoStartMs: 0 },
    );
    const store = new MemoryBackend({ clock });
    const net = new Network(world, store, () => 0.5, rates, log, undefined);
    const conn = new Connection(net, world.spawn(1), clock, 'p1.1', () => undefined);
    const readyAt = async () => {
      const start = world.now;
      let at: number | undefined;
      const sub = conn.changes().subscribe(
        () => undefined,
        () => undefined,
      );
      void sub.ready.then(() => {
        at = world.now;
      });
      while (at === undefined && world.now < start + 5_000) await world.runUntil(world.now + 10);
      sub.unsubscribe();
      return (at ?? Number.POSITIVE_INFINITY) - start;
    };
    expect(await readyAt()).toBe(1_000);
    net.calm = true;
    // a member that joins in the quiet end must see its group at once: a late position there (up
    // to 2 s) left seed 69's joiners planning from a stale list past the work-group settle bound
    expect(await readyAt()).toBeLessThan(20);
    conn.close();
  });

  // A known catching seed per mutant (6 simulated seconds; the default clock mode of the seed).
  const caughtBy: Record<MutantName, { seed: number; check: RegExp }> = {
    'grant-without-token-check': { seed: 1, check: /^counter-/ },
    'rule-b-without-waiting': { seed: 1, check: /exclusion/ },
    'release-skips-inflight-renewal': { seed: 2, check: /^store-boundary$/ },
    'watch-drops-first-change': { seed: 1, check: /^watch-gap$/ },
    'rule-a-without-skew-margin': { seed: 2, check: /exclusion/ },
    'session-takeover-without-waiting': { seed: 1, check: /^session-exclusion/ },
    'release-without-condition': { seed: 1, check: /exclusion/ },
    'rule-b-from-first-sight': { seed: 1, check: /exclusion/ },
    'grant-token-or-equal': { seed: 21, check: /shared-token|token-order/ },
    'renewal-without-condition': { seed: 2, check: /exclusion/ },
    'session-takeover-without-kill': { seed: 3, check: /overlap-beyond-a-lease/ },
    'rule-b-from-read-sent': { seed: 10, check: /exclusion/ },
    'fence-token-at-least': { seed: 3, check: /counter-lost-update/ },
    'watch-skips-gap': { seed: 3, check: /^watch-gap$/ },
    'member-works-after-loss': { seed: 3, check: /^workgroup-(exclusion|overlap-beyond-a-lease)/ },
  };
  const clean = new Map<number, Promise<SeedResult>>();
  for (const mutant of MUTANTS) {
    it(`catches the mutant ${mutant} on a known seed, which passes without it`, async () => {
      const { seed, check } = caughtBy[mutant];
      const broken = await runSeed(seed, { simMs: SIM_MS, mutant });
      const checks = broken.verdict.violations.map((v) => v.check);
      expect(
        checks.some((c) => check.test(c)),
        checks.join(', '),
      ).toBe(true);
      expect(describeFailure(broken, 10)).toContain(`--seed ${seed} --sim-seconds 6 --mutant ${mutant}`);
      if (!clean.has(seed)) clean.set(seed, runSeed(seed, { simMs: SIM_MS }));
      const r = await clean.get(seed);
      expect(r?.verdict.violations).toEqual([]);
    });
  }
});
