/**
 * `npm run bench [-- --quick] [--rtt-ms 4] [--only kv,lock,...,sessions,fanout [--merge]]`: starts DynamoDB
 * Local and a delay proxy in front of it, runs every scenario for dynastore and for
 * dynamodb-lock-client (interleaved), on loopback and (the `rtt-*` and `shard-*` scenarios) through
 * the proxy, prints a
 * table and writes bench/results.json and bench/latency.svg.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { silenceNodeVersionWarning } from '../src/process/quiet.js';
import { type BenchEnv, startBenchEnv } from './env.js';
import { type Profile, parseArgs } from './profile.js';
import { renderReadme } from './render-readme.js';
import { machineInfo, versionsInfo } from './report/meta.js';
import { formatConsole, tableRows } from './report/table.js';
import type { BenchResults, ScenarioResult } from './results.js';
import { contendedHandoff } from './scenarios/contended.js';
import { failover, failoverRtt } from './scenarios/failover.js';
import { holdingCost } from './scenarios/holding.js';
import { holdingManyLocks } from './scenarios/holding-many.js';
import { kvOverhead } from './scenarios/kv-overhead.js';
import { lockCycle, lockCycleRtt } from './scenarios/lock-cycle.js';
import { partitionHeat } from './scenarios/partition-heat.js';
import { rttCheck } from './scenarios/rtt-check.js';
import { shardHandoff } from './scenarios/shard-handoff.js';
import { telemetryCost } from './scenarios/telemetry.js';
import { watchScenarios } from './scenarios/watch.js';
import { watchFanout } from './scenarios/watch-fanout.js';
import { workGroupFailover } from './scenarios/work-group.js';

type Scenario = (env: BenchEnv, profile: Profile) => Promise<ScenarioResult | ScenarioResult[]>;

/** Runs `scenario` on the delay proxy's env (the `rtt-*` keys; skipped with `--rtt-ms 0`). */
const delayed =
  (scenario: Scenario): Scenario =>
  (env, profile) => {
    if (!env.delayed) throw new Error('no delay proxy (--rtt-ms 0)');
    return scenario(env.delayed, profile);
  };

const PLAN: readonly (readonly [string, Scenario])[] = [
  ['kv', kvOverhead],
  ['lock', lockCycle],
  ['handoff', contendedHandoff],
  ['failover', failover],
  ['holding', holdingCost],
  ['sessions', holdingManyLocks],
  ['watch', watchScenarios],
  ['watch-fanout', watchFanout],
  ['rtt-check', rttCheck],
  ['rtt-lock', delayed(lockCycleRtt)],
  ['rtt-handoff', delayed(contendedHandoff)],
  ['rtt-failover', delayed(failoverRtt)],
  ['shard-handoff', shardHandoff],
  ['partition-heat', partitionHeat],
  ['telemetry', telemetryCost],
  ['work-group', workGroupFailover],
];
/** Keys that need the delay proxy. */
const NEEDS_PROXY = new Set(['rtt-check', 'rtt-lock', 'rtt-handoff', 'rtt-failover', 'shard-handoff']);

silenceNodeVersionWarning();
const { profile, only, rttMs, merge } = parseArgs(process.argv.slice(2));
const startedAt = new Date();
const machine = machineInfo(); // before DynamoDB Local starts: the load average is other work on the machine
const t0 = performance.now();
const scenarios: ScenarioResult[] = [];
let failed = false;

console.log(`dynastore benchmark (${profile.mode}); starting DynamoDB Local...`);
const env = await startBenchEnv({ rttMs });
if (env.delayCheck)
  console.log(
    `delay proxy: GetItem p50 ${env.delayCheck.directP50Ms.toFixed(2)} ms direct, ${env.delayCheck.proxiedP50Ms.toFixed(2)} ms through it (+${env.delayCheck.addedP50Ms.toFixed(2)} ms; target ${rttMs} ms, delay ${env.delayCheck.delayMs.toFixed(2)} ms)`,
  );
const onSignal = () => {
  void env.stop().finally(() => process.exit(130));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
try {
  for (const [key, run] of PLAN) {
    if (only.length > 0 && !only.some((o) => key.includes(o))) continue;
    if (rttMs === 0 && NEEDS_PROXY.has(key)) continue;
    const s0 = performance.now();
    process.stdout.write(`- ${key} ... `);
    try {
      const rows = [await run(env, profile)].flat();
      scenarios.push(...rows);
      console.log(`${((performance.now() - s0) / 1000).toFixed(1)} s`);
    } catch (err) {
      failed = true;
      console.log('FAILED');
      console.error(err);
    }
  }
} finally {
  await env.stop();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

const results: BenchResults = {
  scenarios,
  machine,
  versions: versionsInfo(),
  mode: profile.mode,
  startedAt: startedAt.toISOString(),
  wallSeconds: Math.round((performance.now() - t0) / 1000),
};
// A partial run (--only) or a failed one must not replace the published figures.
const publish = only.length === 0 && !failed;
const resultsFile = new URL('./results.json', import.meta.url);
if (publish) {
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  renderReadme();
} else if (merge && !failed) {
  // --only --merge: this run's rows replace the rows of the same name, in place; new ones are appended
  const published = JSON.parse(readFileSync(resultsFile, 'utf8')) as BenchResults;
  const fresh = new Map(scenarios.map((s) => [s.name, s]));
  const rows = published.scenarios.map((s) => fresh.get(s.name) ?? s);
  for (const s of scenarios) if (!published.scenarios.some((p) => p.name === s.name)) rows.push(s);
  writeFileSync(resultsFile, `${JSON.stringify({ ...published, scenarios: rows }, null, 2)}\n`);
  renderReadme();
}
console.log(`\n${formatConsole(tableRows(results))}\n`);
for (const s of scenarios) {
  if (s.goal)
    console.log(
      `${s.goalMet === true ? 'met  ' : s.goalMet === false ? 'MISSED' : 'n/a  '} ${s.name}: ${s.goal}`,
    );
}
console.log(
  publish
    ? `\nwrote bench/results.json, bench/latency.svg and bench/README-section.md in ${results.wallSeconds} s`
    : merge && !failed
      ? `\nmerged ${scenarios.length} row(s) into bench/results.json and rendered bench/README-section.md (${results.wallSeconds} s)`
      : `\n${failed ? 'a scenario failed' : '--only'}: bench/results.json left as it was (${results.wallSeconds} s)`,
);
process.exitCode = failed ? 1 : 0;
