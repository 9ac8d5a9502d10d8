/**
 * Writes bench/README-section.md (and bench/latency.svg) from bench/results.json, and splices the
 * section into docs/performance.md, so the published figures always come from a run. `npm run bench` calls it at the end; run it alone with
 * `npx tsx bench/render-readme.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SCENARIO_KEYS } from './profile.js';
import { latencySvg } from './report/svg.js';
import { formatMarkdown, tableRows } from './report/table.js';
import type { BenchResults } from './results.js';

/**
 * The "Benchmarks" section of docs/performance.md for these results.
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
  const checkRow = r.scenarios.find((s) => s.name.startsWith('delay proxy check'))?.raw;
  const c = checkRow?.extra;
  const proxyCheck = c
    ? ` It adds what it says: a consistent GetItem took ${c.directP50Ms} ms direct and ${checkRow?.p50Ms} ms through it (p50 of paired calls: +${c.addedP50Ms} ms for a ${c.targetRttMs} ms target).`
    : '';
  return `## Benchmarks

dynastore against [\`dynamodb-lock-client\`](https://www.npmjs.com/package/dynamodb-lock-client),
the usual choice for locks on DynamoDB in Node (its FailOpen client with leases and heartbeats, and
where noted its FailClosed client and its default \`trustLocalTime: false\`), and against the raw
\`@aws-sdk/client-dynamodb\` commands for plain key/value work. Both libraries ran in the same
process against the same DynamoDB Local, in alternating rounds so a slow spell of the machine hits
both. These figures are from one ${r.mode} run (${r.startedAt.slice(0, 10)}, ${r.wallSeconds} s).

Two networks: **loopback** (DynamoDB Local on the same machine: read those times as a comparison
between the libraries) and, for the rows marked **RTT**, a delay proxy in front of DynamoDB Local
that adds a fixed round trip to every DynamoDB and DynamoDB Streams call, as a client in the same
AWS region sees, with keep-alive connections so it adds no connection setup.${proxyCheck} The rows
marked **shard limit** also go through a proxy that serves each stream shard at most 5 GetRecords
calls a second across all readers and answers the excess as AWS does (HTTP 400
\`LimitExceededException\`), with the waiters in separate processes, each with its own Streams
poller, as containers or Lambdas on AWS. The calls and capacity units per operation are what
DynamoDB would bill.

${formatMarkdown(tableRows(r))}

One row per library. ops/s: operations per second of one worker (handoffs per second for the
contended lock). calls/op: DynamoDB and DynamoDB Streams requests per operation. WCU/RCU per op:
capacity units DynamoDB reported (\`ReturnConsumedCapacity: TOTAL\`) plus one estimated WCU per
write refused by its condition, which DynamoDB charges but does not report. For **holding cost**
and the **watch poller** rows, the operation is one lock-hour and one minute of watching. For
**failover**, floor is the holder's own deadline (leaseMs after it sent its last renewal) measured
from the kill, and overFloor how long after that deadline the contender got the lock.

![Latency distributions](../bench/latency.svg)

Goals (issues 6 and 10), judged on this run:

${goals.join('\n')}

How each scenario ran:

${settings.join('\n')}

How each library was measured: dynastore through its \`onCall\` hook (one event per DynamoDB call,
with the capacity it consumed); the peer through its v2 \`DocumentClient\`, whose service is
constructed with the bound parameter \`ReturnConsumedCapacity: 'TOTAL'\` and a request hook that
counts every call; the shard-limited rows at the proxy (every process's calls). The peer's FailOpen
client ran with \`trustLocalTime: true\` (a waiter sleeps only the rest of the holder's lease rather
than a whole one: its faster setting) unless a row says otherwise, a keep-alive HTTP agent (as the
v3 SDK has by default) and the same retry budget (3 attempts).

Machine: ${machine}.

Versions: ${versions}.

Reproduce: \`npm ci && npm run bench\` (full: about 15 minutes on 2 cores) or
\`npm run bench -- --quick\` (a few minutes; this run took ${r.wallSeconds} s in ${r.mode} mode);
\`-- --rtt-ms 4\` sets the delay proxy's round trip (0 skips the RTT and shard-limit rows);
\`-- --only ${SCENARIO_KEYS}\` runs some (and only prints them). It needs Java 17+ for DynamoDB Local. It prints this table and rewrites
\`bench/results.json\`, \`bench/latency.svg\` and this section (\`bench/README-section.md\`).
`;
}

/**
 * Reads bench/results.json and writes bench/README-section.md, bench/latency.svg and the
 * benchmarks section of docs/performance.md.
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
  const section = readmeSection(results);
  writeFileSync(new URL('./README-section.md', import.meta.url), section);
  writeFileSync(new URL('./latency.svg', import.meta.url), latencySvg(results));
  spliceInto(new URL('../docs/performance.md', import.meta.url), section);
}

/** Replaces what stands between the bench markers of `page` with `section` (if the markers are there). */
function spliceInto(page: URL, section: string): void {
  const start = '<!-- bench:start (generated by bench/render-readme.ts) -->';
  const end = '<!-- bench:end -->';
  const text = readFileSync(page, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return;
  writeFileSync(page, `${text.slice(0, from + start.length)}\n${section.trim()}\n${text.slice(to)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) renderReadme();
