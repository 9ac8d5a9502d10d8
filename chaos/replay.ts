/**
 * Re-checks a past run from its event logs: the key/value histories, lease exclusion and the
 * election: `node --import tsx chaos/replay.ts $TMPDIR/dynastore-chaos-<seed> [--horizon 10000]`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkElection } from './checker/election.js';
import { checkExclusion, durations } from './checker/exclusion.js';
import { findKvAnomalies } from './checker/kv-anomalies.js';
import { checkLinearizable } from './checker/linearizability.js';
import { casRegister } from './checker/model.js';
import { kvHistory } from './runner/collect.js';
import type { WorkerLine } from './workers/common.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { horizon: { type: 'string', default: '10000' } },
});
const dir = positionals[0];
if (!dir) {
  console.error('usage: node --import tsx chaos/replay.ts <event log folder> [--horizon ms]');
  process.exit(2);
}
const read = async (file: string): Promise<WorkerLine[]> =>
  (await readFile(join(dir, file), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as WorkerLine);
const files = (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort();
for (const file of files.filter((f) => f.startsWith('lease'))) {
  const v = checkExclusion(await read(file), {
    claim: 'held',
    id: 'token',
    start: 'granted',
    end: 'release',
  });
  console.log(
    `${file}: ${v.holds} holds, ${v.overlaps} overlapping, ${v.sharedIds} tokens held twice; takeover after a kill ${JSON.stringify(durations(v.takeoverMs))}`,
  );
  for (const d of v.details.slice(0, 5)) console.log(`  ! ${d}`);
}
if (files.includes('election.jsonl')) {
  const v = checkElection(await read('election.jsonl'));
  console.log(
    `election.jsonl: ${v.terms} terms led, ${v.leaderKills} leaders killed, ${v.violations} violations; failover ${JSON.stringify(durations(v.failoverMs))}`,
  );
  for (const d of v.details.slice(0, 5)) console.log(`  ! ${d}`);
}
for (const file of files.filter((f) => f.startsWith('kv'))) {
  const lines = await read(file);
  const { events, infos } = kvHistory(lines);
  const result = checkLinearizable(casRegister, events, {
    infoHorizon: Number(values.horizon),
    maxSteps: 5_000_000,
  });
  const anomalies = findKvAnomalies(events);
  console.log(`${file}: ${result.operations} operations (${infos} ambiguous), linearizable: ${result.valid}`);
  console.log(
    `  applied more than once: ${anomalies.duplicateApplications}; reported failed although applied: ${anomalies.failedButApplied}`,
  );
  for (const e of anomalies.examples) console.log(`  ! ${e}`);
  for (const k of result.keys.filter((x) => x.valid !== true))
    console.log(`  key ${k.key}: stuck at ${k.counterexample?.stuckAt}`);
}
