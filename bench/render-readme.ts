/**
 * Writes bench/README-section.md (and bench/latency.svg) from bench/results.json, so the README's
 * figures always come from a run. `npm run bench` calls it at the end; run it alone with
 * `npx tsx bench/render-readme.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { latencySvg } from './report/svg.js';
import { formatMarkdown, tableRows } from './report/table.js';
import type { BenchResults } from './results.js';

/**
 * The "Performance and cost" README section for these results.
 *
 * @example
 * ```ts
 * const md = readmeSection(JSON.parse(readFileSync('bench/results.json', 'utf8')));
 * ```
 */
export function readmeSection(r: BenchResults): string {
  const machine = Object.entries(r.machine)
    .map(([k, v]) => `${k} ${v}`)
    .join(' · ');
  const versions = Object.entries(r.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(' · ');
  const goals = r.scenarios
    .filter((s) => s.goal)
    .map((s) => `- ${s.goalMet === true ? '✅' : s.goalMet === false ? '❌' : '—'} **${s.name}**: ${s.goal}`);
  const settings = r.scenarios.map(
    (s) => `- **${s.name}** (${s.op}): ${s.settings}${s.note ? `. ${s.note}` : ''}`,
  );
  return `## Performance and cost

dynastore against [\`dynamodb-lock-client\`](https://www.npmjs.com/package/dynamodb-lock-client)
(FailOpen locks with heartbeats), the usual choice for locks on DynamoDB in Node, and against the
raw \`@aws-sdk/client-dynamodb\` commands for plain key/value work. Both libraries ran in the same
process against the same DynamoDB Local, in alternating rounds so a slow spell of the machine hits
both. These figures are from one ${r.mode} run (${r.startedAt.slice(0, 10)}, ${r.wallSeconds} s). DynamoDB Local does not have
DynamoDB's latencies: read the times as a comparison between the two libraries on one machine;
the calls and capacity units per operation are what DynamoDB would bill.

${formatMarkdown(tableRows(r))}

One row per library. ops/s: operations per second of one worker (handoffs per second for the
contended lock). calls/op: DynamoDB and DynamoDB Streams requests per operation. WCU/RCU per op:
capacity units DynamoDB reported (\`ReturnConsumedCapacity: TOTAL\`) plus one estimated WCU per
write refused by its condition, which DynamoDB charges but does not report. For **holding cost**
and the **watch poller** rows, the operation is one lock-hour and one minute of watching.

![Latency distributions](bench/latency.svg)

Goals (issue 6), judged on this run:

${goals.join('\n')}

How each scenario ran:

${settings.join('\n')}

How each library was measured: dynastore through its \`onCall\` hook (one event per DynamoDB call,
with the capacity it consumed); the peer through its v2 \`DocumentClient\`, whose service is
constructed with the bound parameter \`ReturnConsumedCapacity: 'TOTAL'\` and a request hook that
counts every call. The peer ran with \`trustLocalTime: true\` (a waiter sleeps only the rest of the
holder's lease rather than a whole one: its faster setting), a keep-alive HTTP agent (as the v3
SDK has by default) and the same retry budget (3 attempts).

Machine: ${machine}.

Versions: ${versions}.

Reproduce: \`npm ci && npm run bench\` (full: 8 to 11 minutes on 2 cores) or
\`npm run bench -- --quick\` (under 3 minutes; this run took ${r.wallSeconds} s in ${r.mode} mode);
\`-- --only kv,lock,handoff,failover,holding,watch\` runs some (and only prints them). It needs Java 17+ for DynamoDB Local. It prints this table and rewrites
\`bench/results.json\`, \`bench/latency.svg\` and this section (\`bench/README-section.md\`).
`;
}

/**
 * Reads bench/results.json and writes bench/README-section.md and bench/latency.svg.
 *
 * @example
 * ```ts
 * renderReadme();
 * ```
 */
export function renderReadme(): void {
  const results = JSON.parse(
    readFileSync(new URL('./results.json', import.meta.url), 'utf8'),
  ) as BenchResults;
  writeFileSync(new URL('./README-section.md', import.meta.url), readmeSection(results));
  writeFileSync(new URL('./latency.svg', import.meta.url), latencySvg(results));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) renderReadme();
