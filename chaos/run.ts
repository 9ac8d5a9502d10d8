/**
 * `npm run chaos [-- --duration 120 | --quick] [--seed n] [--strict] [--wide-skew] [--shard-limit]`:
 * starts DynamoDB Local, a fault-injecting proxy (with `--shard-limit`, one that also serves each
 * stream shard at most 5 GetRecords calls a second, with 8 fenced-counter and 20 lease workers
 * waiting), and worker processes; attacks them for the duration; checks what they
 * recorded; writes `chaos/report.json` and prints a summary. Exit status: 1 when the fenced
 * counter, lease exclusion (clocks within `maxClockSkewMs`), the election or the sessions (lease
 * exclusion per key, fenced counters) show a violation
 * (with `--strict`, also when the history is not linearizable, a control run found nothing, the
 * watch checker found a problem, or a worker misbehaved), 2 on a harness error.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTable } from '../src/dynamodb/create-table.js';
import { Dynastore } from '../src/facade/dynastore.js';
import { silenceNodeVersionWarning } from '../src/process/quiet.js';
import { type LocalDynamo, startLocalDynamo } from '../src/testing/local-dynamo.js';
import { checkCounter } from './checker/counter.js';
import { checkElection } from './checker/election.js';
import { checkExclusion, type HoldEvents } from './checker/exclusion.js';
import { findKvAnomalies } from './checker/kv-anomalies.js';
import { checkLinearizable } from './checker/linearizability.js';
import { casRegister } from './checker/model.js';
import { checkSessions } from './checker/session.js';
import { checkSettle, settleBoundMs } from './checker/settle.js';
import { checkWatch } from './checker/watch.js';
import { defaultPlan } from './faults/plan.js';
import { FaultProxy } from './faults/proxy.js';
import { type ChaosReport, type KvResult, type RunResults, summary, toReport } from './report.js';
import { kvHistory, workerAnomalies } from './runner/collect.js';
import { WorkerGroup } from './runner/group.js';
import { Nemesis } from './runner/nemesis.js';
import { type RunSettings, settingsFor } from './runner/settings.js';
import type { WorkerConfig } from './workers/config.js';
import type { CounterValue } from './workers/counter.js';

const HERE = dirname(fileURLToPath(import.meta.url));

async function main(): Promise<number> {
  silenceNodeVersionWarning();
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      quick: { type: 'boolean', default: false },
      seed: { type: 'string' },
      strict: { type: 'boolean', default: false },
      'wide-skew': { type: 'boolean', default: false },
      'shard-limit': { type: 'boolean', default: false },
      report: { type: 'string', default: join(HERE, 'report.json') },
      dump: { type: 'string' },
    },
  });
  const settings = settingsFor({
    quick: values.quick ?? false,
    wideSkew: values['wide-skew'] ?? false,
    shardLimit: values['shard-limit'] ?? false,
    ...(values.duration !== undefined && { durationS: Number(values.duration) }),
    seed: values.seed === undefined ? Math.floor(Math.random() * 1e9) : Number(values.seed),
  });
  const started = performance.now();
  const cleanup: (() => Promise<void>)[] = [];
  const groups: WorkerGroup[] = [];
  const onExit = () => {
    for (const g of groups) g.killNow();
  };
  process.on('exit', onExit);
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    console.error('chaos: interrupted, stopping workers and DynamoDB Local...');
    void runCleanup(cleanup).then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const results = await run(settings, cleanup, groups, started);
    if (interrupted) return 130;
    const dumpDir = values.dump ?? join(tmpdir(), `dynastore-chaos-${settings.seed}`);
    await dumpLines(dumpDir, groups);
    const report = toReport(results);
    await writeFile(values.report as string, `${JSON.stringify(report, null, 2)}\n`);
    const text = summary(results);
    await writeFile(`${(values.report as string).replace(/\.json$/, '')}.log`, `${text}\n`);
    console.log(text);
    console.log(`\nreport: ${values.report}; worker event logs: ${dumpDir}`);
    return exitCode(report, results, values.strict ?? false);
  } finally {
    await runCleanup(cleanup);
    process.off('exit', onExit);
  }
}

async function run(
  s: RunSettings,
  cleanup: (() => Promise<void>)[],
  groups: WorkerGroup[],
  started: number,
): Promise<RunResults> {
  log(`seed ${s.seed}; ${s.durationMs / 1000} s of faults; starting DynamoDB Local`);
  const local: LocalDynamo = await startLocalDynamo({ startTimeoutMs: 60_000 });
  cleanup.push(() => local.stop());
  const tableName = `chaos-${s.seed}`;
  await createTable({ client: local.client, tableName });
  const proxy = await FaultProxy.start(
    { port: local.port },
    defaultPlan(s.faultIntensity, s.stallMs),
    s.seed,
    s.shardLimit ? { shardLimit: s.shardLimit } : {},
  );
  cleanup.unshift(() => proxy.stop());
  const counts: Record<string, number> = {};
  const nemesis = new Nemesis({ seed: s.seed + 1, ...s.nemesis }, counts);
  cleanup.unshift(() => nemesis.stop());

  const stopAt = Date.now() + s.durationMs;
  const base = (kind: WorkerConfig['kind'], id: string, seed: number, skewMs: number, maxAttempts = 3) => ({
    kind,
    id,
    endpoint: proxy.endpoint,
    tableName,
    seed,
    skewMs,
    stopAt,
    requestTimeoutMs: s.requestTimeoutMs,
    maxAttempts,
  });
  /** The n-th skew of a cycle, counted as within or beyond `maxClockSkewMs` (all workloads use the same bound). */
  const skewFor = (n: number, skews: readonly number[] = s.skews): number => {
    const skew = skews[n % skews.length] as number;
    if (skew !== 0) {
      const kind = Math.abs(skew) > s.counter.maxClockSkewMs ? 'clockSkewBeyond' : 'clockSkewWithin';
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
    return skew;
  };
  const observe = (g: WorkerGroup, line: { w: string; t: number; ev: string }) => nemesis.observe(g, line);
  const counter = (name: string, fenced: boolean, skewed: boolean) =>
    new WorkerGroup(
      name,
      { pauseMs: s.pauseMs, killable: true },
      (n) => ({
        ...base('counter', `${name}-${n}`, s.seed * 100 + n, skewed ? skewFor(n) : 0),
        counter: {
          ...s.counter,
          fenced,
          partition: 'chaos',
          lockKey: `${name}-lock`,
          counterKey: `${name}-counter`,
        },
      }),
      observe,
    );
  const fenced = counter('fenced', true, true);
  const control = counter('control', false, false);
  const kvGroup = (name: string, maxAttempts: number, seed: number) =>
    new WorkerGroup(
      name,
      { pauseMs: s.kvPauseMs, killable: false },
      (n) => ({
        ...base('kv', `${name}-${n}`, seed + n, 0, maxAttempts),
        kv: { ...s.kv, partition: name },
      }),
      observe,
    );
  const kv = kvGroup('kv', 3, s.seed * 100 + 50);
  const kvSingle = kvGroup('kv-single', 1, s.seed * 100 + 70);
  const watchKeys = ['w0', 'w1', 'w2'];
  const watch = new WorkerGroup(
    'watch',
    { pauseMs: s.kvPauseMs, killable: false },
    (n) => ({
      ...base('watch', `watch-${n}`, s.seed * 100 + 90 + n, 0),
      watch: { ...s.watch, partition: 'watch', keys: watchKeys, writer: n === 0 },
    }),
    observe,
  );
  const leaseGroup = (name: string, skews: readonly number[], seed: number) =>
    new WorkerGroup(
      name,
      { pauseMs: s.pauseMs, killable: false },
      (n) => ({
        ...base('lease', `${name}-${n}`, seed + n, skewFor(n, skews)),
        lease: { ...s.lease, lockKey: `${name}-lock` },
      }),
      observe,
    );
  const lease = leaseGroup('lease', s.leaseSkews, s.seed * 100 + 20);
  const leaseBeyond = leaseGroup('lease-beyond', s.leaseBeyondSkews, s.seed * 100 + 30);
  const election = new WorkerGroup(
    'election',
    { pauseMs: s.pauseMs, killable: false },
    (n) => ({
      ...base('election', `election-${n}`, s.seed * 100 + 40 + n, skewFor(n, s.electionSkews)),
      election: { ...s.election, name: 'chaos-leader' },
    }),
    observe,
  );
  const sessions = new WorkerGroup(
    'session',
    { pauseMs: s.pauseMs, killable: true },
    (n) => ({
      ...base('session', `session-${n}`, s.seed * 100 + 60 + n, skewFor(n, s.leaseSkews)),
      session: s.session,
    }),
    observe,
  );
  // The work groups' members stay past the faults, through the settle bound and 2 s more, so the
  // settle check sees every shard owned again.
  const settleMs = settleBoundMs(s.workgroup);
  const workGroup = (name: string, fencedWrites: boolean, offset: number) =>
    new WorkerGroup(
      name,
      { pauseMs: s.pauseMs, killable: true },
      (n) => ({
        ...base('workgroup', `${name}-${n}`, s.seed * 100 + offset + n, skewFor(n, s.leaseSkews)),
        stopAt: stopAt + settleMs + 2_000,
        workgroup: {
          ...s.workgroup,
          fenced: fencedWrites,
          group: `${s.workgroup.group}-${name}`,
          partition: `${s.workgroup.partition}-${name}`,
        },
      }),
      observe,
    );
  const groupMembers = workGroup('workgroup', true, 70);
  const groupControl = workGroup('workgroup-control', false, 80);
  groups.push(
    fenced,
    control,
    kv,
    kvSingle,
    watch,
    lease,
    leaseBeyond,
    election,
    sessions,
    groupMembers,
    groupControl,
  );
  cleanup.unshift(async () => {
    await Promise.all(groups.map((g) => g.close(0)));
  });

  fenced.start(s.counterWorkers);
  control.start(s.counterWorkers);
  // --shard-limit is about lock waiters under the Streams limit: on a 2-core machine the key/value,
  // watch and election workloads (checked by the default run) would only starve them of CPU.
  const focused = s.shardLimit !== undefined;
  if (!focused) {
    kv.start(1);
    kvSingle.start(1);
    watch.start(2);
  }
  lease.start(s.leaseWorkers);
  leaseBeyond.start(s.leaseBeyondSkews.length);
  if (!focused) {
    election.start(s.electionWorkers);
    sessions.start(s.sessionWorkers);
    groupMembers.start(s.workGroupWorkers);
    groupControl.start(s.workGroupWorkers);
  }
  nemesis.attack(fenced);
  nemesis.attack(control);
  nemesis.pauseAnytime(kv, s.kvPauseEveryMs);
  nemesis.pauseAnytime(kvSingle, s.kvPauseEveryMs);
  nemesis.pauseAnytime(watch, s.kvPauseEveryMs);
  // No pauses for these: a live holder must never be displaced (a paused one may be, that is what fencing is for).
  nemesis.killHolders(lease, s.nemesis.killHolderEveryMs, 'kill');
  nemesis.killHolders(election, s.nemesis.killLeaderEveryMs, 'killLeader');
  // Sessions paused past their lease inside a critical section, and SIGKILLed, as the fenced counter.
  nemesis.attack(sessions);
  // Work-group members paused past their lease inside their shards' work, and SIGKILLed.
  nemesis.attack(groupMembers);
  nemesis.attack(groupControl);
  log(
    `proxy ${proxy.endpoint} -> DynamoDB Local :${local.port}; ${groups.reduce((n, g) => n + g.all.length, 0)} workers${s.shardLimit ? `; at most ${s.shardLimit.getRecordsPerSecond} GetRecords/s per stream shard` : ''}`,
  );

  const progress = setInterval(() => {
    const kvOps = [kv, kvSingle].reduce(
      (n, g) => n + g.lines.filter((l) => l.ev === 'op' && l.type === 'invoke').length,
      0,
    );
    const inc = (g: WorkerGroup) => g.lines.filter((l) => l.ev === 'write-ok').length;
    const count = (g: WorkerGroup, ev: string) => g.lines.filter((l) => l.ev === ev).length;
    log(
      `fenced +${inc(fenced)}, control +${inc(control)}, kv ${kvOps} ops, lease ${count(lease, 'granted')} grants, ${count(election, 'elected')} elections, sessions ${count(sessions, 'session')} (+${inc(sessions)}, ${count(sessions, 'granted')} grants), faults ${JSON.stringify({ ...proxy.counts, ...counts })}`,
    );
  }, 15_000);
  await new Promise((resolve) => setTimeout(resolve, s.durationMs));
  clearInterval(progress);
  await nemesis.stop();
  proxy.setPlan(undefined);
  const faultsOffAt = performance.timeOrigin + performance.now();
  log('faults off; waiting for workers to finish');
  await Promise.all(
    groups.map((g) => g.close(s.counter.leaseMs * 4 + s.watch.drainMs + 5_000 + settleMs + 2_000)),
  );

  const directStore = new Dynastore({ client: local.client, tableName });
  const direct = { store: directStore, chaos: directStore.partition('chaos') };
  const finalOf = async (name: string) =>
    (await direct.chaos.get(`${name}-counter`))?.json<CounterValue>().n ?? 0;
  const checkKv = (g: WorkerGroup, maxAttempts: number): KvResult => {
    const history = kvHistory(g.lines);
    const result = checkLinearizable(casRegister, history.events, {
      infoHorizon: s.infoHorizonMs,
      maxSteps: 5_000_000,
    });
    return {
      name: g.name,
      maxAttempts,
      result,
      infos: history.infos,
      infoReasons: history.infoReasons,
      fails: history.fails,
      anomalies: findKvAnomalies(history.events),
    };
  };
  return {
    seed: s.seed,
    durationMs: s.durationMs,
    wallMs: performance.now() - started,
    faults: { ...proxy.counts, ...counts },
    requests: { ...proxy.requests },
    fenced: checkCounter(fenced.lines, await finalOf('fenced')),
    control: checkCounter(control.lines, await finalOf('control')),
    kv: [checkKv(kv, 3), checkKv(kvSingle, 1)],
    watch: checkWatch(watch.lines as never, await finalVersions(direct.store, watchKeys)),
    lease: checkExclusion(lease.lines, LEASE_EVENTS),
    leaseBeyond: checkExclusion(leaseBeyond.lines, LEASE_EVENTS),
    election: checkElection(election.lines),
    session: checkSessions(sessions.lines, await sessionCounters(direct.store, s.session)),
    workGroup: checkSessions(groupMembers.lines, await shardCounters(direct.store, s.workgroup, 'workgroup')),
    workGroupSettle: checkSettle(groupMembers.lines as never, {
      faultsOffAt,
      boundMs: settleMs,
      shards: s.workgroup.shards,
    }),
    workGroupControl: checkSessions(
      groupControl.lines,
      await shardCounters(direct.store, s.workgroup, 'workgroup-control'),
    ),
    bounds: {
      leaseMs: s.lease.leaseMs,
      maxClockSkewMs: s.lease.maxClockSkewMs,
      leaseSkews: s.leaseSkews,
      leaseBeyondSkews: s.leaseBeyondSkews,
      electionSkews: s.electionSkews,
    },
    anomalies: workerAnomalies(groups),
  };
}

const LEASE_EVENTS: HoldEvents = { claim: 'held', id: 'token', start: 'granted', end: 'release' };

/** The final value of each session counter, by lock key. */
async function sessionCounters(store: Dynastore, c: RunSettings['session']): Promise<Map<string, number>> {
  const kv = store.partition(c.partition);
  const pairs = await Promise.all(
    c.keys.map(async (k) => [k, (await kv.get(k))?.json<CounterValue>().n ?? 0] as const),
  );
  return new Map(pairs);
}

/** The final value of each shard counter of one work group, by counter key. */
async function shardCounters(
  store: Dynastore,
  c: RunSettings['workgroup'],
  name: string,
): Promise<Map<string, number>> {
  const kv = store.partition(`${c.partition}-${name}`);
  const keys = Array.from({ length: c.shards }, (_, i) => `shard-${i}`);
  const pairs = await Promise.all(
    keys.map(async (k) => [k, (await kv.get(k))?.json<CounterValue>().n ?? 0] as const),
  );
  return new Map(pairs);
}

async function finalVersions(store: Dynastore, keys: readonly string[]): Promise<Map<string, number>> {
  const kv = store.partition('watch');
  return new Map(await Promise.all(keys.map(async (k) => [k, (await kv.get(k))?.version ?? 0] as const)));
}

function exitCode(report: ChaosReport, r: RunResults, strict: boolean): number {
  if (
    report.fenced.violations +
      report.lease.violations +
      report.election.violations +
      report.session.violations +
      report.workGroup.violations +
      report.workGroupSettle.unowned >
    0
  )
    return 1;
  if (!strict) return 0;
  const watchBad = report.watch.missed + report.watch.duplicates + report.watch.outOfOrder > 0;
  const controlsFoundNothing =
    report.control.lostUpdates === 0 ||
    r.leaseBeyond.overlaps === 0 ||
    report.workGroupControl.lostUpdates === 0;
  return !report.linearizable || controlsFoundNothing || watchBad || r.anomalies.length > 0 ? 1 : 0;
}

async function runCleanup(cleanup: (() => Promise<void>)[]): Promise<void> {
  while (cleanup.length > 0) {
    const step = cleanup.shift() as () => Promise<void>;
    await step().catch((err: unknown) => console.error('chaos: cleanup step failed:', err));
  }
}

/** Every worker's event lines, one JSONL file per group (for replaying the checkers). */
async function dumpLines(dir: string, groups: readonly WorkerGroup[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const g of groups) {
    await writeFile(join(dir, `${g.name}.jsonl`), g.lines.map((l) => JSON.stringify(l)).join('\n'));
  }
}

function log(message: string): void {
  console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('chaos: harness error:', err);
    process.exit(2);
  },
);
