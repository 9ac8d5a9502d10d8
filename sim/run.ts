/**
 * `npm run sim`: the deterministic simulator. See docs/reliability.md, "Deterministic simulation".
 *
 *   npm run sim                          20 seeds (1..20)
 *   npm run sim -- --seeds 200 --json    200 seeds, all mutants hunted, sim/report.json written
 *   npm run sim -- --seed 17             one seed, with its history hash (replays exactly)
 *   npm run sim -- --minutes 10          as many seeds as fit in 10 minutes
 *   npm run sim -- --mutant NAME         seeds until the mutant is caught
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ClockMode } from './check.js';
import { isMutant, MUTANTS, type MutantName } from './mutants.js';
import { runSeed, type SeedResult } from './seed.js';
import { describeFailure } from './trace.js';

interface Args {
  seeds: number | undefined;
  from: number;
  seed: number | undefined;
  minutes: number | undefined;
  simSeconds: number;
  json: boolean;
  mutant: MutantName | undefined;
  mutants: boolean;
  mutantSeeds: number;
  mode: ClockMode | undefined;
  trace: number;
  log: string | undefined;
  shrink: boolean;
  jobs: number;
  /** Internal: a child of `--jobs` runs every `stride`-th seed and prints one JSON line per seed. */
  stride: number;
  child: boolean;
}

const USAGE = `usage: npm run sim -- [--seeds N] [--from F] [--seed S] [--minutes M] [--sim-seconds X]
  [--mode bounded|beyond] [--mutant NAME] [--mutants] [--mutant-seeds K] [--json] [--trace N]
  [--log FILE] [--shrink] [--jobs J]
mutants: ${MUTANTS.join(', ')}`;

function parse(argv: readonly string[]): Args {
  const a: Args = {
    seeds: undefined,
    from: 1,
    seed: undefined,
    minutes: undefined,
    simSeconds: 20,
    json: false,
    mutant: undefined,
    mutants: false,
    mutantSeeds: 40,
    mode: undefined,
    trace: 40,
    log: undefined,
    shrink: false,
    jobs: 1,
    stride: 1,
    child: false,
  };
  const num = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min)
      throw new Error(`${flag} needs a number >= ${min}\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const next = () => argv[++i];
    switch (flag) {
      case '--seeds':
        a.seeds = Math.floor(num(flag, next(), 1));
        break;
      case '--from':
        a.from = Math.floor(num(flag, next(), 0));
        break;
      case '--seed':
        a.seed = Math.floor(num(flag, next(), 0));
        break;
      case '--minutes':
        a.minutes = num(flag, next(), 0.01);
        break;
      case '--sim-seconds':
        a.simSeconds = num(flag, next(), 0.5);
        break;
      case '--mutant-seeds':
        a.mutantSeeds = Math.floor(num(flag, next(), 1));
        break;
      case '--trace':
        a.trace = Math.floor(num(flag, next(), 0));
        break;
      case '--json':
        a.json = true;
        break;
      case '--mutants':
        a.mutants = true;
        break;
      case '--shrink':
        a.shrink = true;
        break;
      case '--jobs':
        a.jobs = Math.floor(num(flag, next(), 1));
        break;
      case '--stride':
        a.stride = Math.floor(num(flag, next(), 1));
        break;
      case '--child':
        a.child = true;
        break;
      case '--log':
        a.log = next();
        if (!a.log) throw new Error(`--log needs a file\n${USAGE}`);
        break;
      case '--mode': {
        const m = next();
        if (m !== 'bounded' && m !== 'beyond') throw new Error(`--mode is bounded or beyond\n${USAGE}`);
        a.mode = m;
        break;
      }
      case '--mutant': {
        const m = next() ?? '';
        if (!isMutant(m)) throw new Error(`unknown mutant "${m}"\n${USAGE}`);
        a.mutant = m;
        break;
      }
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument "${flag}"\n${USAGE}`);
    }
  }
  return a;
}

/** The shortest run (simulated seconds, in half-second steps) of `seed` that still fails. */
async function shrink(seed: number, args: Args, failing: SeedResult): Promise<SeedResult> {
  let lo = 0;
  let hi = Math.round(args.simSeconds * 2);
  let best = failing;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const r = await runSeed(seed, options(args, mid * 500));
    if (r.verdict.violations.length > 0) {
      hi = mid;
      best = r;
    } else lo = mid;
  }
  console.log(
    `  shrunk: fails with --sim-seconds ${hi / 2} (history ${best.log.length} events, was ${failing.log.length})`,
  );
  return best;
}

function options(args: Args, simMs = args.simSeconds * 1000) {
  return { simMs, ...(args.mode && { mode: args.mode }), ...(args.mutant && { mutant: args.mutant }) };
}

/** Runs seeds from `from` until one fails a check, at most `count`; returns the failing seed or null. */
async function hunt(
  mutant: MutantName,
  from: number,
  count: number,
  simSeconds: number,
): Promise<number | null> {
  for (let seed = from; seed < from + count; seed++) {
    const r = await runSeed(seed, { simMs: simSeconds * 1000, mutant });
    if (r.verdict.violations.length > 0) return seed;
  }
  return null;
}

/** What the batch needs of one seed (a child of `--jobs` sends it as one JSON line). */
interface SeedSummary {
  readonly seed: number;
  readonly mode: ClockMode;
  readonly operations: number;
  readonly backendCalls: number;
  readonly events: number;
  readonly pauses: number;
  readonly crashes: number;
  readonly clockSteps: number;
  readonly stats: Record<string, number>;
  readonly violations: number;
  readonly checks: string[];
  /** The failure report, when a check failed. */
  readonly failure?: string;
}

const CHILD_LINE = '@sim ';

/** Children of `--jobs` that did not exit cleanly (a harness failure, not a violation). */
const forked = { failed: 0 };

function summarize(r: SeedResult, traceLines: number): SeedSummary {
  const violations = r.verdict.violations.reduce((n, v) => n + v.count, 0);
  return {
    seed: r.seed,
    mode: r.mode,
    operations: r.operations,
    backendCalls: r.backendCalls,
    events: r.events,
    pauses: r.pauses,
    crashes: r.crashes,
    clockSteps: r.clockSteps,
    stats: r.verdict.stats,
    violations,
    checks: r.verdict.violations.map((v) => `${v.check} x${v.count}`),
    ...(violations > 0 && { failure: describeFailure(r, traceLines) }),
  };
}

/** Seeds `from`, `from + stride`, ... in this process, until the count or the time is up. */
async function* seedsHere(args: Args): AsyncGenerator<SeedSummary> {
  const deadline =
    args.minutes === undefined ? Number.POSITIVE_INFINITY : performance.now() + args.minutes * 60_000;
  const cap = args.seeds ?? (args.minutes === undefined ? 20 : Number.POSITIVE_INFINITY);
  for (let seed = args.from; seed < args.from + cap && performance.now() < deadline; seed += args.stride) {
    yield summarize(await runSeed(seed, options(args)), args.trace);
  }
}

/** Seeds in `args.jobs` child processes (each seed still runs in one process), as they finish. */
async function* fork(args: Args): AsyncGenerator<SeedSummary | { cpuMs: number }> {
  const script = fileURLToPath(import.meta.url);
  const children = Array.from({ length: args.jobs }, (_, k) => {
    const argv = [
      ...['--child', '--from', String(args.from + k), '--stride', String(args.jobs)],
      ...['--sim-seconds', String(args.simSeconds), '--trace', String(args.trace)],
      ...(args.seeds !== undefined ? ['--seeds', String(args.seeds - k)] : []),
      ...(args.minutes !== undefined ? ['--minutes', String(args.minutes)] : []),
      ...(args.mode ? ['--mode', args.mode] : []),
    ];
    return spawn(process.execPath, ['--import', 'tsx', script, ...argv], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  });
  const queue: (SeedSummary | { cpuMs: number })[] = [];
  let wake: (() => void) | undefined;
  let open = children.length;
  for (const child of children) {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (!line.startsWith(CHILD_LINE)) return;
      queue.push(JSON.parse(line.slice(CHILD_LINE.length)));
      wake?.();
    });
    child.on('close', (code) => {
      if (code !== 0) forked.failed++;
      open--;
      wake?.();
    });
  }
  for (;;) {
    const next = queue.shift();
    if (next) {
      yield next;
      continue;
    }
    if (open === 0) return;
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
    wake = undefined;
  }
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  if (args.seed !== undefined) {
    const r = await runSeed(args.seed, options(args));
    if (args.log) writeFileSync(args.log, `${r.log.join('\n')}\n`);
    console.log(
      `seed ${r.seed}: ${r.mode} clocks, ${r.processes} processes, ${r.operations} operations, ${r.events} events, ${r.pauses} pauses, ${r.crashes} crashes, ${r.clockSteps} clock steps; history sha256 ${r.hash}`,
    );
    console.log(`  ${JSON.stringify(r.verdict.stats)}`);
    if (r.verdict.violations.length === 0) return;
    const shown = args.shrink ? await shrink(args.seed, args, r) : r;
    console.error(describeFailure(shown, args.trace));
    process.exitCode = 1;
    return;
  }

  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const totals = { operations: 0, backendCalls: 0, events: 0, pauses: 0, crashes: 0, clockSteps: 0 };
  const modes = { bounded: 0, beyond: 0 };
  const failures: { seed: number; checks: string[] }[] = [];
  const stats: Record<string, number> = {};
  let violations = 0;
  let seeds = 0;
  let simMs = 0;
  let childCpuMs = 0;
  const source = args.jobs > 1 && !args.mutant ? fork(args) : seedsHere(args);
  for await (const r of source) {
    if ('cpuMs' in r) {
      childCpuMs += r.cpuMs;
      continue;
    }
    if (args.child) {
      console.log(`${CHILD_LINE}${JSON.stringify(r)}`);
      continue;
    }
    seeds++;
    simMs += args.simSeconds * 1000;
    for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r[k];
    modes[r.mode]++;
    for (const [k, v] of Object.entries(r.stats)) stats[k] = (stats[k] ?? 0) + v;
    violations += r.violations;
    if (r.failure !== undefined) {
      failures.push({ seed: r.seed, checks: r.checks });
      console.error(r.failure);
      if (args.mutant) break;
    }
    if (seeds % 10 === 0 || r.violations > 0) {
      const min = (performance.now() - started) / 60_000;
      console.log(
        `${seeds} seeds, ${totals.operations} operations, ${Math.round(totals.operations / min)} per minute, ${violations} violations`,
      );
    }
  }
  if (args.child) {
    const used = process.cpuUsage(cpu0);
    console.log(`${CHILD_LINE}${JSON.stringify({ cpuMs: (used.user + used.system) / 1000 })}`);
    return;
  }
  failures.sort((x, y) => x.seed - y.seed);
  if (forked.failed > 0) throw new Error(`${forked.failed} of ${args.jobs} simulator processes failed`);
  const realMs = performance.now() - started;
  const used = process.cpuUsage(cpu0);
  const cpuMs = (used.user + used.system) / 1000 + childCpuMs;
  const opsPerMinute = Math.round(totals.operations / (realMs / 60_000));
  const opsPerCpuMinute = Math.round(totals.operations / (cpuMs / 60_000));
  console.log(
    `${seeds} seeds (${modes.bounded} bounded, ${modes.beyond} beyond the skew bound), ${args.simSeconds} simulated s each: ${totals.operations} operations in ${(realMs / 1000).toFixed(1)} s = ${opsPerMinute} per minute${args.jobs > 1 ? ` over ${args.jobs} processes` : ''} (${opsPerCpuMinute} per CPU minute); ${totals.events} events, ${totals.pauses} pauses, ${totals.crashes} crashes, ${totals.clockSteps} clock steps; ${violations} violations`,
  );
  if (args.mutant) {
    const caught = failures[0]?.seed;
    console.log(
      caught === undefined
        ? `mutant ${args.mutant}: NOT caught`
        : `mutant ${args.mutant}: caught by seed ${caught}`,
    );
    process.exitCode = caught === undefined ? 1 : 0;
    return;
  }

  const mutants: Record<string, number | null> = {};
  if (args.json || args.mutants) {
    for (const m of MUTANTS) {
      const t0 = performance.now();
      mutants[m] = await hunt(m, 1, args.mutantSeeds, args.simSeconds);
      console.log(
        `mutant ${m}: ${mutants[m] === null ? `NOT caught in ${args.mutantSeeds} seeds` : `caught by seed ${mutants[m]}`} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      );
    }
  }
  if (args.json) {
    const report = {
      seeds,
      firstSeed: args.from,
      simulatedSecondsPerSeed: args.simSeconds,
      simulatedMinutes: Math.round(simMs / 600) / 100,
      operations: totals.operations,
      realSeconds: Math.round(realMs / 100) / 10,
      jobs: args.jobs,
      opsPerMinute,
      cpuSeconds: Math.round(cpuMs / 100) / 10,
      opsPerCpuMinute,
      violations,
      failures,
      modes,
      backendCalls: totals.backendCalls,
      events: totals.events,
      pauses: totals.pauses,
      crashes: totals.crashes,
      clockSteps: totals.clockSteps,
      checked: stats,
      mutants,
      mutantSeedsTried: args.mutantSeeds,
      machine: { cpus: availableParallelism(), node: process.version },
    };
    writeFileSync(new URL('./report.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
    console.log('wrote sim/report.json');
  }
  const missed = Object.entries(mutants).filter(([, s]) => s === null);
  if (violations > 0 || missed.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 2;
});
