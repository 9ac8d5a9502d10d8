import { DEFAULT_SIM_MS, type SeedResult } from './seed.js';

/**
 * The history lines relevant to a run's first violation, at most `max` of them, ending at the
 * last one: lines naming the fencing tokens (or terms) the checker's explanation names; failing that,
 * the watch subscriptions or keys; failing that, the process incarnations; plus the nemesis's
 * actions and the mutant's own doings in that time span.
 *
 * @example
 * ```ts
 * for (const line of traceOf(result, 40)) console.log(line);
 * ```
 */
export function traceOf(result: SeedResult, max: number): string[] {
  const text = result.verdict.violations[0]?.details[0] ?? '';
  const tokens = [...new Set([...text.matchAll(/\b\d{13,}\b/g)].map((m) => m[0]))];
  const subs = [...new Set([...text.matchAll(/(p\d+\.\d+#\d+) (\w+)/g)].map((m) => ` ${m[1]} ${m[2]} `))];
  const procs = [...new Set([...text.matchAll(/p\d+\.\d+/g)].map((m) => `${m[0]} `))];
  const words = tokens.length > 0 ? tokens : subs.length > 0 ? subs : procs;
  const keyOf = (line: string) => words.some((w) => line.includes(w)) || line.includes('VIOLATION');
  const hits = result.log.flatMap((line, i) => (keyOf(line) ? [i] : []));
  if (hits.length === 0) return result.log.slice(-max);
  const first = hits[0] as number;
  const last = hits[hits.length - 1] as number;
  const context = (line: string) => line.includes(' nemesis ') || line.includes(' mutant ');
  const picked = result.log.slice(first, last + 1).filter((line) => keyOf(line) || context(line));
  // A token's story starts at its grant; a subscription's ends where it stopped seeing changes.
  return tokens.length > 0 ? picked.slice(0, max) : picked.slice(-max);
}

/**
 * A human-readable failure report: the seed, what broke, a short trace, and how to replay.
 *
 * @example
 * ```ts
 * console.error(describeFailure(result, 40));
 * ```
 */
export function describeFailure(result: SeedResult, traceLines: number): string {
  const head = `seed ${result.seed} FAILED (${result.mode} clocks, ${result.processes} processes, leaseMs ${result.leaseMs}, maxClockSkewMs ${result.maxClockSkewMs})`;
  const body = result.verdict.violations.flatMap((v) => [
    `  ${v.check} x${v.count}`,
    ...v.details.map((d) => `    - ${d}`),
  ]);
  const trace = traceOf(result, traceLines).map((l) => `    ${l}`);
  const what = `  trace of the first (${trace.length} relevant events, true ms first):`;
  const replay = `  replay: ${replayCommand(result)} (history sha256 ${result.hash.slice(0, 16)})`;
  return [head, ...body, what, ...trace, replay].join('\n');
}

/**
 * The command that replays a run exactly.
 *
 * @example
 * ```ts
 * replayCommand(result); // 'npm run sim -- --seed 17 --mutant rule-b-without-waiting'
 * ```
 */
export function replayCommand(result: SeedResult): string {
  const o = result.options;
  const parts = [`npm run sim -- --seed ${result.seed}`];
  if (o.simMs !== undefined && o.simMs !== DEFAULT_SIM_MS) parts.push(`--sim-seconds ${o.simMs / 1000}`);
  if (o.mode) parts.push(`--mode ${o.mode}`);
  if (o.mutant) parts.push(`--mutant ${o.mutant}`);
  return parts.join(' ');
}
