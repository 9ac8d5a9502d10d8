/**
 * Re-checks the key/value histories of a past run from its event logs:
 * `node --import tsx chaos/replay.ts $TMPDIR/dynastore-chaos-<seed> [--horizon 10000]`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
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
for (const file of (await readdir(dir)).filter((f) => f.startsWith('kv') && f.endsWith('.jsonl')).sort()) {
  const text = await readFile(join(dir, file), 'utf8');
  const lines = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as WorkerLine);
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
