import type { RegisterInput } from '../chaos/checker/model.js';
import { between, pick } from '../chaos/util/random.js';
import { applyRegisterOp } from '../chaos/workers/register-op.js';
import {
  AmbiguousWriteError,
  type Dynastore,
  FencedError,
  type KVPair,
  type Leadership,
  type Lease,
  ValidationError,
} from '../src/index.js';
import type { SimClock } from './clock.js';
import type { Recorder } from './record.js';

/** What an actor (one loop of a simulated process) works with. */
export interface Proc {
  /** Process incarnation name, `p<pid>.<incarnation>`. */
  readonly name: string;
  /**
   * The lock owner id of one role of this process: `<name>/<role>`, or, in seeds that reuse owner
   * ids across restarts (as a service naming its locks after its host would), `p<pid>/<role>`.
   */
  readonly owner: (role: string) => string;
  readonly store: Dynastore;
  readonly clock: SimClock;
  readonly rand: () => number;
  readonly rec: Recorder;
  /** True time this process last resumed from a pause (-1: never). */
  readonly resumedAt: () => number;
  /** True once the run is winding down: loops finish their iteration and stop. */
  readonly stopping: () => boolean;
  readonly leaseMs: number;
  readonly maxClockSkewMs: number;
  /** How long a released lock row stays before the store may reap it. */
  readonly retentionMs: number;
}

/** Partitions and keys of the workloads. */
export const KEYS = {
  counterLock: 'counter',
  counterPartition: 'counters',
  counterKey: 'n',
  leaseLock: 'lease',
  semaphore: 'pool',
  permits: 2,
  election: 'leader',
  kvPartition: 'kv',
  kvKeys: ['a', 'b'],
  watchPartition: 'watched',
  watchKeys: ['x', 'y', 'z'],
} as const;

/** An error in a few words, for the log. */
export const text = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/**
 * Holds while `held()` says so, for `ms` of the process's own time, checking every 20-120 ms;
 * each positive check is a claim at true time. When `signal` aborts (the lease ran out or was
 * found taken) while the process ran without a pause since its last claim, the holder believed
 * it held right up to that instant: one more claim, just before it, closes the interval exactly
 * (sampling alone would leave up to a sample's worth of it unchecked). Returns whether it held
 * to the end.
 */
export async function holdFor(
  p: Proc,
  held: () => boolean,
  signal: AbortSignal,
  ms: number,
  claim: (m: number) => void,
): Promise<boolean> {
  const until = p.clock.monotonic() + ms;
  let last = -1;
  const onAbort = () => {
    if (p.resumedAt() <= last) claim(p.rec.now - 0.001);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (!held()) return false;
      last = p.rec.now;
      claim(last);
      const left = until - p.clock.monotonic();
      if (left <= 0) return true;
      await p.clock.sleep(Math.min(left, between(p.rand, 20, 120)));
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * The fenced counter, through `withLock`: read the counter, work a while (maybe past the lease),
 * write counter + 1 fenced by the lease. Lines for `checkCounter`.
 *
 * @example
 * ```ts
 * void counterActor(proc); // until proc.stopping()
 * ```
 */
export async function counterActor(p: Proc): Promise<void> {
  const kv = p.store.partition(KEYS.counterPartition);
  const w = p.name;
  while (!p.stopping()) {
    p.rec.count({ w, ev: 'acquire' });
    try {
      await p.store.withLock(
        KEYS.counterLock,
        async (lease) => {
          p.rec.ops++;
          const token = lease.token.toString();
          p.rec.count({ w, ev: 'granted', token });
          // exclusion lines of the withLock lock too: a claim at each step taken while `lease.held`
          const claim = () => {
            if (lease.held) p.rec.hold(KEYS.counterLock, { w, ev: 'held', token, m: p.rec.now });
          };
          p.rec.hold(KEYS.counterLock, { w, ev: 'granted', token, m: p.rec.now });
          claim();
          try {
            const pair = await kv.get(KEYS.counterKey);
            p.rec.ops++;
            claim();
            const n = pair ? Number(pair.text()) : 0;
            p.rec.count({ w, ev: 'read', token, n });
            // usually short work; sometimes longer than the lease (the fence must stop the write)
            await p.clock.sleep(
              p.rand() < 0.1 ? between(p.rand, p.leaseMs / 2, 2 * p.leaseMs) : between(p.rand, 0, 30),
            );
            claim();
            await fencedIncrement(p, kv, lease, token, n);
          } finally {
            p.rec.hold(KEYS.counterLock, { w, ev: 'release', token, m: p.rec.now });
          }
        },
        {
          leaseMs: p.leaseMs,
          retentionMs: p.retentionMs,
          maxClockSkewMs: p.maxClockSkewMs,
          owner: p.owner('counter'),
          waitMs: 4 * p.leaseMs,
        },
      );
    } catch (err) {
      p.rec.note(`${w} counter withLock: ${text(err)}`);
    }
    p.rec.ops++;
    await p.clock.sleep(between(p.rand, 0, 40));
  }
}

/** The fenced write of counter value `n + 1` under `lease`: lines for `checkCounter`. */
async function fencedIncrement(
  p: Proc,
  kv: ReturnType<Dynastore['partition']>,
  lease: Lease,
  token: string,
  n: number,
): Promise<void> {
  const w = p.name;
  p.rec.count({ w, ev: 'write', token, n: n + 1 });
  try {
    await kv.put(KEYS.counterKey, String(n + 1), { fence: lease });
    p.rec.count({ w, ev: 'write-ok', token, n: n + 1 });
  } catch (err) {
    if (err instanceof FencedError) p.rec.count({ w, ev: 'write-fenced', token, n: n + 1 });
    else p.rec.count({ w, ev: 'write-error', token, n: n + 1 });
  } finally {
    p.rec.ops++;
  }
}

/** Hold the `lease` lock, claiming it while `lease.held`, then release: lines for `checkExclusion`. *
 * @example
 * ```ts
 * void leaseActor(proc);
 * ```
 */
export async function leaseActor(p: Proc): Promise<void> {
  const options = { leaseMs: p.leaseMs, retentionMs: p.retentionMs, maxClockSkewMs: p.maxClockSkewMs };
  const lock = p.store.lock(KEYS.leaseLock, { ...options, owner: p.owner('lease') });
  // The serverless way: no heartbeat timer, the holder renews by hand between steps.
  const manual = p.store.lock(KEYS.leaseLock, { ...options, owner: p.owner('manual'), heartbeatMs: false });
  while (!p.stopping()) {
    const byHand = p.rand() < 0.25;
    const l = byHand ? manual : lock;
    const lease = await attempt(p, () =>
      p.rand() < 0.3 ? l.tryAcquire() : l.acquire({ waitMs: 3 * p.leaseMs }),
    );
    if (lease) await holdLease(p, KEYS.leaseLock, lease, 'held', 'token', lease.token.toString(), byHand);
    await p.clock.sleep(between(p.rand, 0, 80));
  }
}

/** Take a permit of the `pool` semaphore and hold it: per-slot exclusion lines. *
 * @example
 * ```ts
 * void semaphoreActor(proc);
 * ```
 */
export async function semaphoreActor(p: Proc): Promise<void> {
  const sem = p.store.semaphore(KEYS.semaphore, {
    permits: KEYS.permits,
    leaseMs: p.leaseMs,
    retentionMs: p.retentionMs,
    maxClockSkewMs: p.maxClockSkewMs,
    owner: p.owner('sem'),
  });
  while (!p.stopping()) {
    const lease = await attempt(p, () => sem.acquire({ waitMs: 3 * p.leaseMs }));
    if (lease) await holdLease(p, lease.key, lease, 'held', 'token', lease.token.toString());
    await p.clock.sleep(between(p.rand, 0, 80));
  }
}

/** Runs one acquire; an error is noted and counts as no lease. */
export async function attempt(p: Proc, fn: () => Promise<Lease | undefined>): Promise<Lease | undefined> {
  try {
    return await fn();
  } catch (err) {
    p.rec.note(`${p.name} acquire: ${text(err)}`);
    return undefined;
  } finally {
    p.rec.ops++;
  }
}

/** Holds `lease` (claims while `lease.held`, by hand renewals if asked), then releases: exclusion lines of `group`. */
export async function holdLease(
  p: Proc,
  group: string,
  lease: Lease,
  claim: string,
  id: string,
  value: string,
  renewByHand = false,
) {
  const w = p.name;
  p.rec.hold(group, { w, ev: 'granted', [id]: value, m: p.rec.now });
  let holding = true;
  if (renewByHand) {
    void (async () => {
      while (holding && lease.held) {
        await p.clock.sleep(between(p.rand, p.leaseMs / 6, p.leaseMs / 2));
        if (!holding) return;
        await lease.renew().catch((err: unknown) => p.rec.note(`${w} renew: ${text(err)}`));
        p.rec.ops++;
      }
    })();
  }
  await holdFor(
    p,
    () => lease.held,
    lease.signal,
    between(p.rand, 0, 2 * p.leaseMs),
    (m) => p.rec.hold(group, { w, ev: claim, [id]: value, m }),
  );
  holding = false;
  p.rec.hold(group, { w, ev: 'release', [id]: value, m: p.rec.now });
  try {
    await lease.release();
  } catch (err) {
    p.rec.note(`${w} release: ${text(err)}`);
  }
  p.rec.ops++;
}

/** Campaign, lead while `isLeader`, resign; and observe the leader. Lines for `checkElection`. *
 * @example
 * ```ts
 * void electionActor(proc);
 * ```
 */
export async function electionActor(p: Proc): Promise<void> {
  const w = p.name;
  const election = p.store.election(KEYS.election, {
    leaseMs: p.leaseMs,
    maxClockSkewMs: p.maxClockSkewMs,
    retentionMs: p.retentionMs,
  });
  // observe(), subscribed again after an error (a failed change feed ends it)
  const observe = () =>
    election.observe().subscribe({
      next: (leader) =>
        p.rec.elect({
          w,
          ev: 'observed',
          id: leader?.id ?? null,
          term: leader?.term.toString() ?? null,
          m: p.rec.now,
        }),
      error: (err: unknown) => {
        p.rec.note(`${w} observe: ${text(err)}`);
        if (!p.stopping()) observe();
      },
    });
  observe();
  const lead = async (l: Leadership) => {
    const term = l.term.toString();
    p.rec.elect({ w, ev: 'elected', term, m: p.rec.now });
    await holdFor(
      p,
      () => l.isLeader,
      l.signal,
      between(p.rand, 0, 2 * p.leaseMs),
      (m) => p.rec.elect({ w, ev: 'leading', term, m }),
    );
    p.rec.elect({ w, ev: 'resign', term, m: p.rec.now });
  };
  while (!p.stopping()) {
    if (p.rand() < 0.3) {
      // Kubernetes style: the run campaigns, calls the work, resigns when it returns.
      try {
        await election.run(w, { onStartedLeading: (_signal, l) => lead(l) }, { waitMs: 3 * p.leaseMs });
      } catch (err) {
        p.rec.note(`${w} run: ${text(err)}`);
      }
      p.rec.ops++;
    } else {
      let leadership: Leadership | undefined;
      try {
        leadership = await election.campaign(w, { waitMs: 3 * p.leaseMs });
      } catch (err) {
        p.rec.note(`${w} campaign: ${text(err)}`);
      }
      p.rec.ops++;
      if (leadership) {
        await lead(leadership);
        await leadership.resign().catch((err: unknown) => p.rec.note(`${w} resign: ${text(err)}`));
        p.rec.ops++;
      }
    }
    await p.clock.sleep(between(p.rand, 0, 100));
  }
}

/**
 * Key/value client: get / put / atomicPut (create or CAS on the last pair seen) / delete on a
 * few keys, as a Jepsen-style history for the linearizability checker (`chaos/checker`).
 *
 * @example
 * ```ts
 * void kvActor(proc, 0);
 * ```
 */
export async function kvActor(p: Proc, index: number): Promise<void> {
  const kv = p.store.partition(KEYS.kvPartition);
  const proc = `${p.name}.kv${index}`;
  const last = new Map<string, KVPair | undefined>();
  let seq = 0;
  while (!p.stopping()) {
    const key = pick(p.rand, KEYS.kvKeys);
    const r = p.rand();
    const value = `${proc}-${seq++}`;
    const prev = last.get(key);
    const input: RegisterInput =
      r < 0.4
        ? { f: 'read' }
        : r < 0.55
          ? { f: 'write', value }
          : r < 0.95
            ? { f: 'cas', expect: prev ? { version: prev.version } : { absent: true }, value }
            : { f: 'delete' };
    p.rec.op({ type: 'invoke', process: proc, key, input });
    try {
      const { output, pair } = await applyRegisterOp(kv, key, input, prev);
      last.set(key, pair);
      p.rec.op({ type: 'ok', process: proc, key, output });
    } catch (err) {
      const definite = input.f === 'read' || err instanceof ValidationError;
      p.rec.op({ type: definite ? 'fail' : 'info', process: proc, key, error: text(err) });
      if (!(err instanceof AmbiguousWriteError)) last.delete(key);
    }
    p.rec.ops++;
    await p.clock.sleep(between(p.rand, 0, 30));
  }
}

/**
 * Watches of the `watched` partition (per key and by prefix, re-subscribing now and then) and
 * puts to it: lines for `checkWatch`. Keys there are only ever put, never deleted.
 *
 * @example
 * ```ts
 * void watchActor(proc, stoppedSubscriptions);
 * ```
 */
export async function watchActor(p: Proc, stopped: Set<string>): Promise<void> {
  const kv = p.store.partition(KEYS.watchPartition);
  const w = p.name;
  let n = 0;
  const follow = (key: string | undefined) => {
    const sub = `${w}#${n++}`;
    const watcher = sub;
    const source = key === undefined ? kv.watchPrefix('') : kv.watch(key);
    const state = { failed: false };
    const s = source.subscribe({
      next: (e) =>
        p.rec.watched({
          w,
          ev: 'watch',
          watcher,
          sub,
          key: e.key,
          cause: e.cause,
          version: e.pair?.version ?? 0,
        }),
      error: (err: unknown) => {
        state.failed = true;
        p.rec.watched({ w, ev: 'watch-error', watcher, sub, key: key ?? '' });
        p.rec.note(`${w} watch error: ${text(err)}`);
      },
    });
    return {
      sub,
      key,
      failed: () => state.failed,
      stop: () => {
        stopped.add(sub);
        s.unsubscribe();
      },
    };
  };
  let current = [follow(pick(p.rand, KEYS.watchKeys)), follow(undefined)];
  while (!p.stopping()) {
    // a subscription that failed (its feed did) is replaced: the checker knows it ended
    current = current.map((c) => (c.failed() ? follow(c.key) : c));
    const key = pick(p.rand, KEYS.watchKeys);
    try {
      await kv.put(key, `${w}-${n++}`);
    } catch (err) {
      p.rec.note(`${w} watched put: ${text(err)}`);
    }
    p.rec.ops++;
    if (p.rand() < 0.05) {
      const i = Math.floor(p.rand() * current.length);
      current[i]?.stop();
      current = current.filter((_, j) => j !== i);
      current.push(follow(p.rand() < 0.5 ? undefined : pick(p.rand, KEYS.watchKeys)));
    }
    await p.clock.sleep(between(p.rand, 0, 60));
  }
}
