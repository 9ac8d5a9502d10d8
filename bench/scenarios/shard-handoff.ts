import { fileURLToPath } from 'node:url';
import type { ProxyAnswer } from '../../chaos/faults/proxy.js';
import { Dynastore } from '../../src/index.js';
import { type GuardedProcess, spawnGuarded } from '../../src/testing/guarded-process.js';
import { startDelayProxy } from '../delay-proxy.js';
import type { BenchEnv } from '../env.js';
import type { Profile } from '../profile.js';
import type { ScenarioResult } from '../results.js';
import { epochNow, sleep, waitUntil } from '../sleep.js';
import { round, summarize } from '../stats.js';
import { SHORT_TIMING } from './contended.js';

const CHILD = fileURLToPath(new URL('./shard-waiter.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const HOLD_MS = 100;
/** DynamoDB Streams on AWS: GetRecords calls one shard serves per second, across all readers. */
export const GET_RECORDS_PER_SHARD_PER_SECOND = 5;

/**
 * `contended handoff, <n> processes, shard limit`: n separate processes (each its own Streams
 * poller, as n containers on AWS) queue for one lock through the delay proxy with DynamoDB
 * Streams' per-shard limit on (5 GetRecords/s per shard across all of them; the excess answered
 * HTTP 400 LimitExceededException, as AWS does). Each process takes the lock `shardRounds` times,
 * holding it 100 ms. A handoff: from a holder starting its release to the next grant. Calls are
 * counted at the proxy (every process's), from the first release to the last grant.
 *
 * @example
 * ```ts
 * const rows = await shardHandoff(env, profile);
 * ```
 */
export async function shardHandoff(env: BenchEnv, profile: Profile): Promise<ScenarioResult[]> {
  const rows: ScenarioResult[] = [];
  for (const n of [8, 20]) rows.push(await runWith(env, profile, n));
  return rows;
}

async function runWith(env: BenchEnv, profile: Profile, processes: number): Promise<ScenarioResult> {
  const delayMs = env.rtt?.delayMs ?? 0;
  const network = `${env.rtt ? `${env.rtt.targetMs} ms RTT` : 'loopback'}, ${GET_RECORDS_PER_SHARD_PER_SECOND} GetRecords/s per shard`;
  const proxy = await startDelayProxy(env.localPort, {
    rttMs: delayMs,
    shardLimit: { getRecordsPerSecond: GET_RECORDS_PER_SHARD_PER_SECOND },
  });
  const answers: ProxyAnswer[] = [];
  proxy.onAnswer((a) => answers.push(a));
  const key = `shard-handoff-${processes}-${Date.now()}`;
  const first = new Dynastore({ client: env.client, tableName: env.ourTable });
  const children: GuardedProcess[] = [];
  const startedAt = performance.now();
  try {
    // A long lease: starting the processes loads the machine, and a late heartbeat must not let
    // one of them in before the series starts.
    const held = await first.lock(key, { leaseMs: 120_000 }).acquire();
    for (let i = 0; i < processes; i++) {
      children.push(
        spawnGuarded(
          process.execPath,
          [
            '--import',
            'tsx',
            CHILD,
            proxy.endpoint,
            env.ourTable,
            key,
            String(SHORT_TIMING.leaseMs),
            String(SHORT_TIMING.heartbeatMs),
            String(profile.shardRounds),
            String(HOLD_MS),
          ],
          { cwd: REPO },
        ),
      );
    }
    await waitUntil(
      () => children.every((c) => c.output().includes('waiting') || c.exitInfo() !== undefined),
      180_000,
      `${processes} waiting processes`,
      100,
    );
    const broken = children.find((c) => c.exitInfo() !== undefined);
    if (broken) throw new Error(`a waiting process exited early: ${broken.output()}`);
    await sleep(3_000); // every poller past its first GetRecords
    if (!held.held) throw new Error('the first holder lost the lock before the series started');
    const firstRelease = epochNow();
    await held.release();
    const timeoutMs = 60_000 + processes * profile.shardRounds * 10_000;
    const deadline = performance.now() + timeoutMs;
    for (const c of children) {
      const left = deadline - performance.now();
      const done = await Promise.race([
        c.exited.then(() => true),
        sleep(Math.max(0, left)).then(() => false),
      ]);
      if (!done)
        throw new Error(`shard handoff with ${processes} processes did not finish in ${timeoutMs} ms`);
      if (c.exitInfo()?.code !== 0) throw new Error(`a waiting process failed: ${c.output()}`);
    }
    return summarise(processes, network, profile, firstRelease, children, answers, startedAt);
  } finally {
    await Promise.all(children.map((c) => c.stop(2_000)));
    await proxy.stop();
  }
}

function summarise(
  processes: number,
  network: string,
  profile: Profile,
  firstRelease: number,
  children: readonly GuardedProcess[],
  answers: readonly ProxyAnswer[],
  startedAt: number,
): ScenarioResult {
  const grants: number[] = [];
  const releases: number[] = [firstRelease];
  for (const c of children) {
    for (const line of c.output().split('\n')) {
      const [word, t] = line.trim().split(' ');
      if (word === 'granted') grants.push(Number(t));
      else if (word === 'release') releases.push(Number(t));
    }
  }
  grants.sort((a, b) => a - b);
  releases.sort((a, b) => a - b);
  const latencies: number[] = [];
  for (const g of grants) {
    const before = releases.filter((r) => r < g).at(-1);
    if (before !== undefined) latencies.push(g - before);
  }
  const lastGrant = grants.at(-1) ?? firstRelease;
  const inWindow = answers.filter((a) => a.at >= firstRelease && a.at <= lastGrant);
  const count = (f: (a: ProxyAnswer) => boolean) => inWindow.filter(f).length;
  const n = Math.max(1, latencies.length);
  const getRecords = count((a) => a.operation === 'GetRecords' && a.status === 200);
  const throttled = count((a) => a.errorType === 'LimitExceededException');
  const reads = count((a) => ['GetItem', 'Query', 'Scan'].includes(a.operation));
  const writes = count((a) =>
    ['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems'].includes(a.operation),
  );
  const refused = count(
    (a) =>
      a.errorType === 'ConditionalCheckFailedException' || a.errorType === 'TransactionCanceledException',
  );
  const q = summarize(latencies);
  const windowS = Math.max(0.001, (lastGrant - firstRelease) / 1_000);
  const byOperation: Record<string, number> = {};
  for (const a of inWindow) byOperation[a.operation] = (byOperation[a.operation] ?? 0) + 1;
  return {
    name: `contended handoff, ${processes} processes, shard limit`,
    op: 'one handoff (release -> next waiter acquired)',
    settings: `${processes} separate processes (one Streams poller each) queue for one lock, each takes it ${profile.shardRounds} time(s) and holds it ${HOLD_MS} ms; leaseMs ${SHORT_TIMING.leaseMs}, heartbeatMs ${SHORT_TIMING.heartbeatMs}; dynastore defaults otherwise`,
    network,
    ours: {
      opsPerSec: round(latencies.length / windowS),
      p50Ms: q.n > 0 ? round(q.p50Ms) : null,
      p99Ms: q.n > 0 ? round(q.p99Ms) : null,
      callsPerOp: round(inWindow.length / n),
      wcuPerOp: round(writes / n),
      rcuPerOp: round(reads / n),
      ...(q.n > 0 && {
        latency: Object.fromEntries(Object.entries(q).map(([k, v]) => [k, round(v)])) as unknown as typeof q,
      }),
      operations: Object.fromEntries(Object.entries(byOperation).map(([k, v]) => [k, round(v / n)])),
      extra: {
        handoffs: latencies.length,
        p95Ms: round(q.p95Ms),
        getRecordsPerHandoff: round(getRecords / n),
        throttledGetRecordsPerHandoff: round(throttled / n),
        readsPerHandoff: round(reads / n),
        writesPerHandoff: round(writes / n),
        refusedWritesPerHandoff: round(refused / n),
        getRecordsServedPerSecond: round(getRecords / windowS),
        scenarioSeconds: round((performance.now() - startedAt) / 1_000),
      },
    },
    peer: null,
    note: 'peer: not run (dynamodb-lock-client reads no stream, so the limit does not touch it); calls/op: every process, counted at the proxy; WCU/RCU per op: writes and reads per handoff (one unit each); throttled: GetRecords answered LimitExceededException',
  };
}
