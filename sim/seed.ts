import { between, pick, prng } from '../chaos/util/random.js';
import { Dynastore } from '../src/index.js';
import { ROW_MARKERS } from '../src/lock/placement.js';
import { MemoryBackend } from '../src/testing.js';
import {
  counterActor,
  electionActor,
  KEYS,
  kvActor,
  leaseActor,
  type Proc,
  semaphoreActor,
  text,
  watchActor,
} from './actors.js';
import { type ClockMode, checkRun, type Verdict } from './check.js';
import { SimClock } from './clock.js';
import { Connection } from './connection.js';
import { drawFaults } from './faults.js';
import { SimLog } from './log.js';
import { enableMutant, type MutantName } from './mutants.js';
import { Network } from './network.js';
import { Recorder } from './record.js';
import { SESSION_KEYS, sessionActor } from './session-actor.js';
import { GROUP_KEYS, ShardBoard, workGroupActor } from './workgroup-actor.js';
import { type Owner, World } from './world.js';

/** Simulated (true) time the workloads of one seed run, before the quiet end. */
export const DEFAULT_SIM_MS = 20_000;

/** Options of one simulated run. */
export interface SeedOptions {
  /** Simulated (true) time the workloads run, before the quiet end. @default DEFAULT_SIM_MS */
  readonly simMs?: number;
  /** Force a clock mode; by default one seed in four runs beyond the skew bound. */
  readonly mode?: ClockMode;
  readonly mutant?: MutantName;
}

/** The outcome of one seed. */
export interface SeedResult {
  readonly seed: number;
  /** The options it ran with (what a replay must pass again). */
  readonly options: SeedOptions;
  readonly mode: ClockMode;
  readonly processes: number;
  readonly leaseMs: number;
  readonly maxClockSkewMs: number;
  /** API calls completed by simulated processes. */
  readonly operations: number;
  /** Backend calls answered. */
  readonly backendCalls: number;
  readonly events: number;
  readonly pauses: number;
  readonly crashes: number;
  readonly clockSteps: number;
  readonly verdict: Verdict;
  /** sha256 of the serialized history. */
  readonly hash: string;
  /** The history, one line per event. */
  readonly log: readonly string[];
}

/** Start of the wall clocks and lease timings are drawn from these. */
const LEASES_MS = [600, 1_000, 1_500] as const;

/**
 * Builds the world of one seed and runs it: several simulated processes, each with its own
 * clock (skew, drift, steps) and its own faulty connection to one memory store, running the lock,
 * fenced counter, semaphore, election, session, key/value and watch workloads through the public API,
 * while a nemesis pauses, crashes and restarts them and steps their clocks. Then a quiet end
 * (faults off, everyone resumed, loops finish), and the checkers.
 *
 * @example
 * ```ts
 * const r = await runSeed(42);
 * if (r.verdict.violations.length > 0) console.log(r.verdict.violations);
 * ```
 */
export async function runSeed(seed: number, options: SeedOptions = {}): Promise<SeedResult> {
  const master = prng(mix(seed));
  const sub = () => prng(Math.floor(master() * 4_294_967_296));
  const mode: ClockMode = options.mode ?? (master() < 0.25 ? 'beyond' : 'bounded');
  const leaseMs = pick(master, LEASES_MS);
  const maxClockSkewMs = leaseMs / 5;
  // Half the bounded seeds (3/8 of all) let the store reap released lock rows soon (TTL): grants
  // must then keep tokens increasing from the clock floor. Beyond the skew bound that floor may go
  // back (the README says so), so those seeds keep rows for the default day.
  const count = between(master, 3, 6);
  const simMs = options.simMs ?? DEFAULT_SIM_MS;
  const reaping = mode === 'bounded' && master() < 0.5;
  const retentionMs = reaping ? between(master, 1_000, 3_000) : 86_400_000;
  // Half the seeds reuse lock owner ids across restarts (`p2/counter`, not `p2.3/counter`): a dead
  // incarnation's fenced write still in flight then lands while the next one holds the lock.
  const reuseOwners = master() < 0.5;
  const world = new World();
  const log = new SimLog(world);
  const rec = new Recorder(world, log);
  const netRand = sub();
  const nemesis = sub();
  const procRand = sub();
  const rates = drawFaults(netRand, leaseMs);
  // The store's clock decides TTL reaping: true time (DynamoDB's reaper is not skewed).
  const storeClock = new SimClock(
    world,
    { pid: 0, incarnation: 0 },
    { rate: 1, wallErrorMs: 0, monoStartMs: 0 },
  );
  const store = new MemoryBackend({ clock: storeClock });
  const net = new Network(world, store, netRand, rates, log, options.mutant);
  for (const key of KEYS.watchKeys)
    await store.write({ partition: KEYS.watchPartition, key, payload: 'init' });
  log.add(
    `seed ${seed} mode ${mode} processes ${count} leaseMs ${leaseMs} skew ${maxClockSkewMs} retentionMs ${retentionMs}${reuseOwners ? ' owners reused' : ''} faults ${JSON.stringify(rates)}${options.mutant ? ` mutant ${options.mutant}` : ''}`,
  );

  // Bounded: any two wall clocks stay less than maxClockSkewMs apart (each within 0.48 of it of
  // true time), as the README's timing bounds assume; beyond: up to 12 times that apart.
  const bound = mode === 'bounded' ? 0.48 * maxClockSkewMs : 6 * maxClockSkewMs;
  const maxDrift = mode === 'bounded' ? 2e-4 : 0.02;
  let stopping = false;
  const stopped = new Set<string>();
  const live = new Map<
    number,
    { proc: Proc; conn: Connection; clock: SimClock; loops: { running: number } }
  >();
  let pauses = 0;
  let crashes = 0;
  let clockSteps = 0;
  let backendCalls = 0;
  // Work groups: who works which shard (the settle check), and how long members stay once the
  // faults stop: through the settle bound and one lease more.
  const names = new Map<string, Owner>();
  const board = new ShardBoard(
    () => world.now,
    (w) => {
      const o = names.get(w);
      return o !== undefined && world.alive(o);
    },
  );
  const settleMs = groupSettleBoundMs({ mode, leaseMs, maxClockSkewMs });
  const group = { board, stayUntil: () => simMs + settleMs + leaseMs };

  const start = (pid: number, onlyGroup = false) => {
    const owner = world.spawn(pid);
    const name = `p${pid}.${owner.incarnation}`;
    names.set(name, owner);
    const clock = new SimClock(world, owner, {
      rate: 1 + (procRand() * 2 - 1) * maxDrift,
      wallErrorMs: (procRand() * 2 - 1) * bound,
      monoStartMs: between(procRand, 0, 1_000_000),
    });
    const conn = new Connection(net, owner, clock, name, (what) => rec.violation(`${name}: ${what}`));
    const random = prng(Math.floor(procRand() * 4_294_967_296));
    const store = new Dynastore({ backend: conn, clock, random });
    const proc: Proc = {
      name,
      owner: (role) => `${reuseOwners ? `p${pid}` : name}/${role}`,
      store,
      clock,
      rand: random,
      rec,
      resumedAt: () => world.resumedAt(pid),
      stopping: () => stopping,
      leaseMs,
      maxClockSkewMs,
      retentionMs,
    };
    const loops = { running: 0 };
    live.set(pid, { proc, conn, clock, loops });
    log.add(`${name} start wallError ${clock.wallErrorMs().toFixed(1)} rate ${clock.rate.toFixed(6)}`);
    const loop = (what: string, run: Promise<void>) => {
      loops.running++;
      run.then(
        () => loops.running--,
        (err: unknown) => {
          loops.running--;
          rec.violation(`${name}: the ${what} loop threw ${err instanceof Error ? err.stack : String(err)}`);
        },
      );
    };
    // The loops start as events of the process, so a crash right away leaves nothing running.
    world.at(world.now, owner, () => {
      if (onlyGroup) {
        loop('work group', workGroupActor(proc, group, true));
        return;
      }
      loop('work group', workGroupActor(proc, group));
      loop('counter', counterActor(proc));
      loop('lease', leaseActor(proc));
      loop('semaphore', semaphoreActor(proc));
      loop('election', electionActor(proc));
      loop('key/value', kvActor(proc, 0));
      loop('session', sessionActor(proc));
      if (pid <= 2) loop('watch', watchActor(proc, stopped));
    });
  };
  for (let pid = 1; pid <= count; pid++) start(pid);

  const crash = (pid: number) => {
    const p = live.get(pid);
    if (!p) return;
    crashes++;
    log.add(`nemesis crash ${p.proc.name}`);
    backendCalls += p.conn.calls;
    p.conn.close();
    world.crash(pid);
    live.delete(pid);
    world.at(world.now + between(nemesis, 50, 2 * leaseMs), undefined, () => {
      if (!stopping) start(pid);
    });
  };
  // In half the seeds a last crash comes just before the faults stop: the locks its process held
  // are what the liveness probe's first part asks for.
  if (nemesis() < 0.5)
    world.at(simMs - between(nemesis, 0, leaseMs / 2), undefined, () =>
      crash(pick(nemesis, [...live.keys()])),
    );
  const act = () => {
    if (stopping) return;
    const pids = [...live.keys()];
    const pid = pick(nemesis, pids);
    const p = live.get(pid);
    const r = nemesis();
    if (p && r < 0.35 && !world.isPaused(pid)) {
      // Half the pauses end near the edge of the lease, where a takeover races the holder's deadline.
      const ms =
        nemesis() < 0.5
          ? between(nemesis, leaseMs / 5, 3 * leaseMs)
          : between(nemesis, leaseMs - 2 * maxClockSkewMs, leaseMs + maxClockSkewMs);
      pauses++;
      log.add(`nemesis pause ${p.proc.name} ${ms} ms`);
      world.pause(pid);
      world.at(world.now + ms, undefined, () => {
        log.add(`nemesis resume ${p.proc.name}`);
        world.resume(pid);
      });
    } else if (p && r < 0.5) {
      crash(pid);
    } else if (p && r < 0.8) {
      clockSteps++;
      const error = (nemesis() * 2 - 1) * bound;
      log.add(
        `nemesis clock ${p.proc.name} wallError ${p.clock.wallErrorMs().toFixed(1)} -> ${error.toFixed(1)}`,
      );
      p.clock.setWallError(error);
    }
    world.at(world.now + between(nemesis, 100, 1_500), undefined, act);
  };
  world.at(between(nemesis, 100, 1_000), undefined, act);
  const reap = () => {
    const n = store.reap();
    if (n > 0) log.add(`store reaped ${n} rows`);
    world.at(world.now + between(nemesis, 200, 2_000), undefined, reap);
  };
  if (reaping) world.at(retentionMs, undefined, reap);

  const disable = enableMutant(options.mutant);
  // Library code that falls back to Math.random for jitter (the watch's session tracker retries
  // its reads with `retry()` and no `random`) would make a run differ from its replay: during the
  // run Math.random is a stream of the seed. (Seeds of one process run one after another.)
  const realRandom = Math.random;
  Math.random = sub();
  let probe: ProbeResult;
  let groupSettleMaxMs = 0;
  try {
    await world.runUntil(simMs);
    stopping = true;
    net.calm = true;
    log.add('quiet: faults off, everyone resumed, loops finish');
    for (const pid of live.keys()) world.resume(pid);
    // Work groups, liveness: a fresh member joins now (so the group is never empty), and every
    // shard must be worked by a live member at some instant within the settle bound.
    board.watchFrom();
    start(count + 3, true);
    const quietAt = world.now;
    world.at(quietAt + settleMs, undefined, () => {
      const late: string[] = [];
      for (let s = 0; s < GROUP_KEYS.shards; s++) {
        const at = board.ownedSince.get(s);
        if (at === undefined) late.push(`shard ${s}`);
        else groupSettleMaxMs = Math.max(groupSettleMaxMs, at - quietAt);
      }
      if (late.length > 0)
        rec.violation(
          `work-group liveness: ${late.join(', ')} of group ${GROUP_KEYS.group} owned by no live member within ${settleMs.toFixed(0)} ms of the faults stopping`,
        );
    });
    // Liveness, first part: a lock or the election left held by a dead holder is granted within
    // the takeover bound to a fresh waiter that starts now.
    probeDeadHolders(world, net, store, rec, log, {
      pid: count + 2,
      mode,
      leaseMs,
      maxClockSkewMs,
      retentionMs,
    });
    // Every loop finishes its iteration (each wait in it is bounded: 4 leases at most, plus work).
    const cap = simMs + 20 * leaseMs;
    const running = () => [...live.values()].reduce((n, p) => n + p.loops.running, 0);
    while (running() > 0 && world.now < cap) await world.runUntil(world.now + 50);
    if (running() > 0)
      rec.violation(`${running()} workload loops still running ${20 * leaseMs} ms after the faults stopped`);
    // A last put of each watched key: a change a feed lost earlier shows at the next one.
    for (const key of KEYS.watchKeys)
      await store.write({ partition: KEYS.watchPartition, key, payload: 'final' });
    // Liveness: every lock, permit and the election, free or held by the dead, is granted to a
    // fresh process within the takeover bound.
    probe = await probeLiveness(world, net, rec, log, {
      pid: count + 1,
      mode,
      leaseMs,
      maxClockSkewMs,
      retentionMs,
    });
    // Every feed delivers (no stalls now; a late `ready` is at most 2 s).
    await world.runUntil(world.now + 2_500);
  } finally {
    disable();
    Math.random = realRandom;
  }
  for (const p of live.values()) {
    rec.watched({ w: p.proc.name, ev: 'watch-done' });
    backendCalls += p.conn.calls;
  }

  const rows = store.dump();
  const counterRow = rows.find((r) => r.partition === KEYS.counterPartition && r.key === KEYS.counterKey);
  const watched = new Map(
    rows.filter((r) => r.partition === KEYS.watchPartition).map((r) => [r.key, r.version] as const),
  );
  const sessionCounters = new Map(
    rows
      .filter(
        (r) => r.partition === SESSION_KEYS.counterPartition || r.partition === GROUP_KEYS.counterPartition,
      )
      .map((r) => [r.key, Number(r.payload ?? 0)] as const),
  );
  const checked = checkRun(
    rec,
    { mode, leaseMs },
    { counter: Number(counterRow?.payload ?? 0), watched, sessionCounters },
    stopped,
    net.lostRecords,
  );
  const stats = {
    ...checked.stats,
    ...net.stats,
    probeGrants: probe.granted,
    probeMaxWaitMs: probe.maxWaitMs,
    groupSettleMaxMs,
  };
  const verdict = { ...checked, stats };
  for (const v of verdict.violations) log.add(`violation ${v.check} x${v.count}`);
  return {
    seed,
    options,
    mode,
    processes: count,
    leaseMs,
    maxClockSkewMs,
    operations: rec.ops,
    backendCalls,
    events: world.fired,
    pauses,
    crashes,
    clockSteps,
    verdict,
    hash: log.digest(),
    log: log.lines,
  };
}

/** What the liveness probe found. */
export interface ProbeResult {
  readonly granted: number;
  readonly maxWaitMs: number;
}

/**
 * Once every loop has finished, a fresh process (calm network, never paused) asks for every lock
 * of the workloads, both permits of the semaphore and the election, all at once. Each holder is
 * gone (released, or dead: crashed, or its session lost), so each must be granted within the
 * takeover bound: the longest a dead holder's lease can still look live (`leaseMs` from its last
 * renewal sent, its wall clock ahead, this one behind, plus `maxClockSkewMs`), plus polling and
 * round trips (a quarter lease). Beyond the skew bound no timing is promised: there the bound is 6
 * leases, to catch a lock that never frees. A miss is a violation (`liveness`).
 *
 * @example
 * ```ts
 * const probe = await probeLiveness(world, net, rec, log, { pid: 7, mode: 'bounded', leaseMs: 600, maxClockSkewMs: 120, retentionMs: 86_400_000 });
 * ```
 */
export async function probeLiveness(
  world: World,
  net: Network,
  rec: Recorder,
  log: SimLog,
  o: { pid: number; mode: ClockMode; leaseMs: number; maxClockSkewMs: number; retentionMs: number },
): Promise<ProbeResult> {
  const owner = world.spawn(o.pid);
  const name = `p${o.pid}.probe`;
  const clock = new SimClock(world, owner, { rate: 1, wallErrorMs: 0, monoStartMs: 0 });
  const conn = new Connection(net, owner, clock, name, (what) => rec.violation(`${name}: ${what}`));
  const store = new Dynastore({ backend: conn, clock, random: prng(o.pid) });
  const boundMs = takeoverBoundMs(o);
  const timing = { leaseMs: o.leaseMs, maxClockSkewMs: o.maxClockSkewMs, retentionMs: o.retentionMs };
  const start = world.now;
  log.add(`${name} probes every lock (bound ${boundMs.toFixed(0)} ms)`);
  let granted = 0;
  let maxWaitMs = 0;
  const take = async (what: string, acquire: () => Promise<{ release(): Promise<void> } | undefined>) => {
    try {
      const held = await acquire();
      const waited = world.now - start;
      maxWaitMs = Math.max(maxWaitMs, waited);
      granted++;
      log.add(`${name} granted ${what} after ${waited.toFixed(1)} ms`);
      return held;
    } catch (err) {
      rec.violation(
        `liveness: ${what} not granted within ${boundMs.toFixed(0)} ms after every holder was gone: ${text(err)}`,
      );
      return undefined;
    }
  };
  const locks = [KEYS.counterLock, KEYS.leaseLock, ...SESSION_KEYS.locks].map((key) =>
    take(`lock ${key}`, () =>
      store.lock(key, { ...timing, owner: `${name}/${key}` }).acquire({ waitMs: boundMs }),
    ),
  );
  const sem = store.semaphore(KEYS.semaphore, { ...timing, permits: KEYS.permits, owner: `${name}/sem` });
  const permits = Array.from({ length: KEYS.permits }, (_, i) =>
    take(`permit ${i + 1} of ${KEYS.semaphore}`, () => sem.acquire({ waitMs: boundMs })),
  );
  const election = store.election(KEYS.election, timing);
  const leader = take('the election', async () => {
    const l = await election.campaign(name, { waitMs: boundMs });
    return { release: () => l.resign() };
  });
  const all = Promise.all([...locks, ...permits, leader]);
  let done = false;
  void all.then(() => {
    done = true;
  });
  while (!done && world.now < start + boundMs + 5_000) await world.runUntil(world.now + 50);
  if (!done) rec.violation(`liveness: the probe's calls did not return within ${boundMs + 5_000} ms`);
  const held = done ? await all : [];
  for (const h of held) void h?.release().catch(() => undefined);
  await world.runUntil(world.now + 500);
  conn.close();
  return { granted, maxWaitMs };
}

/**
 * The work group's settle bound once the faults stop: the session takeover bound (a dead or lost
 * member's session, hence its shard locks and its member key, can be taken over by then) plus one
 * lease of margin: the survivors learn of the dead member's key through the watch (the
 * once-a-lease re-plan reads nothing: it only retries the plan), then grant the shard locks (a
 * round trip or two on a calm network, a few at a time). The bound holds only if the feed is calm
 * too: a member that joins near the quiet end plans from its join-time list until its watch's
 * snapshot arrives, so a late feed position (`readyMs`, up to 2 s) is a fault the calm switches off
 * (seed 69: two joiners blind for 1.2 s and 1.0 s left shard 2 unowned past the bound).
 */
export function groupSettleBoundMs(o: { mode: ClockMode; leaseMs: number; maxClockSkewMs: number }): number {
  return takeoverBoundMs(o) + o.leaseMs;
}

/** The takeover bound of the liveness checks (see {@link probeLiveness}). */
function takeoverBoundMs(o: { mode: ClockMode; leaseMs: number; maxClockSkewMs: number }): number {
  return o.mode === 'bounded' ? o.leaseMs + 2 * o.maxClockSkewMs + o.leaseMs / 4 : 6 * o.leaseMs;
}

/**
 * When the faults stop, the lock rows and the election row held by a dead process incarnation
 * (crashed; or, for a session-bound row, whose session's process crashed): a fresh process asks for
 * each at once, and each must be granted to someone within the takeover bound (the dead holder's
 * last renewal was sent before it died, so by then its lease has run out by rule (a) whatever the
 * clocks). Checked by a world event at the bound: the row must carry a new token by then.
 */
function probeDeadHolders(
  world: World,
  net: Network,
  store: MemoryBackend,
  rec: Recorder,
  log: SimLog,
  o: { pid: number; mode: ClockMode; leaseMs: number; maxClockSkewMs: number; retentionMs: number },
): void {
  const rows = store.dump();
  const holderOf = (partition: string, key: string, token: unknown) =>
    typeof token === 'bigint' ? net.grantedBy.get(`${partition}/${key}|${token}`) : undefined;
  const dead = rows.filter((r) => {
    const kind = r.partition.startsWith(ROW_MARKERS.lock) || r.partition.startsWith(ROW_MARKERS.election);
    if (!kind || typeof r.fields.owner !== 'string') return false;
    const session = r.fields.session;
    // a session's row: its partition and key are both the session's id
    const sessionRow =
      typeof session === 'string'
        ? rows.find((s) => s.partition === session && s.key === session)
        : undefined;
    const by =
      typeof session === 'string'
        ? holderOf(session, session, sessionRow?.fields.token)
        : holderOf(r.partition, r.key, r.fields.token);
    // a session row already killed (no owner) is dead too: its locks are free to take
    if (typeof session === 'string' && typeof sessionRow?.fields.owner !== 'string') return true;
    return by !== undefined && !world.alive(by);
  });
  if (dead.length === 0) return;
  net.stats.deadHeldProbed += dead.length;
  const owner = world.spawn(o.pid);
  const name = `p${o.pid}.deadprobe`;
  const clock = new SimClock(world, owner, { rate: 1, wallErrorMs: 0, monoStartMs: 0 });
  const conn = new Connection(net, owner, clock, name, (what) => rec.violation(`${name}: ${what}`));
  const api = new Dynastore({ backend: conn, clock, random: prng(o.pid) });
  const boundMs = takeoverBoundMs(o);
  const timing = { leaseMs: o.leaseMs, maxClockSkewMs: o.maxClockSkewMs, retentionMs: o.retentionMs };
  log.add(`${name} asks for ${dead.map((r) => `${r.partition}/${r.key}`).join(', ')}, held by the dead`);
  for (const r of dead) {
    const take = r.partition.startsWith(ROW_MARKERS.lock)
      ? () => api.lock(r.key, { ...timing, owner: `${name}/${r.key}` }).acquire({ waitMs: boundMs })
      : async () => {
          const l = await api.election(r.key, timing).campaign(name, { waitMs: boundMs });
          return { release: () => l.resign() };
        };
    void take().then(
      (held) => void held.release().catch(() => undefined),
      (err: unknown) => log.add(`${name} ${r.partition}/${r.key}: ${text(err)}`),
    );
  }
  world.at(world.now + boundMs, undefined, () => {
    for (const r of dead) {
      const now = store.dump().find((x) => x.partition === r.partition && x.key === r.key);
      if (now?.fields.token === r.fields.token)
        rec.violation(
          `liveness: ${r.partition}/${r.key}, held by the dead ${String(r.fields.owner)} (token ${String(r.fields.token)}) when the faults stopped, was granted to nobody within ${boundMs.toFixed(0)} ms`,
        );
    }
    world.at(world.now + 500, undefined, () => conn.close());
  });
}

/** Scrambles a seed (consecutive seeds would otherwise start mulberry32 on related streams). */
function mix(seed: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
