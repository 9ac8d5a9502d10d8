/**
 * `npm run sim`: the deterministic simulator. See docs/reliability.md, "Deterministic simulation".
 *
 *   npm run sim                          20 seeds (1..20)
 *   npm run sim -- --seeds 200 --json    200 seeds, then every mutant hunted in as many; sim/report.json
 *   npm run sim -- --seed 17             one seed, with its history hash (replays exactly)
 *   npm run sim -- --minutes 10          as many seeds as fit in 10 minutes
 *   npm run sim -- --mutant NAME         seeds until the mutant is caught (at most --seeds, default 200)
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ClockMode } from './check.js';
import { isMutant, MUTANTS, type MutantName } from './mutants.js';
import { runSeed, type SeedResult } from './seed.js';
import { describeFailure, replayCommand } from './trace.js';

interface Args {
  seeds: number | undefined;
  from: number;
  seed: number | undefined;
  minutes: number | undefined;
  simSeconds: number;
  json: boolean;
  mutant: MutantName | undefined;
  mutants: boolean;
  /** Seeds per mutant hunt (undefined: as many as the batch ran, at least 20). */
  mutantSeeds: number | undefined;
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
    mutantSeeds: undefined,
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

/** Seeds `from`, `from + stride`, ... in this process, until the count or the time is up (a mutant: until caught). */
async function* seedsHere(args: Args): AsyncGenerator<SeedSummary> {
  const deadline =
    args.minutes === undefined ? Number.POSITIVE_INFINITY : performance.now() + args.minutes * 60_000;
  const cap = seedCount(args);
  for (let seed = args.from; seed < args.from + cap && performance.now() < deadline; seed += args.stride) {
    const r = summarize(await runSeed(seed, options(args)), args.trace);
    yield r;
    if (args.mutant && r.violations > 0) return;
  }
}

/** How many seeds a run covers: `--seeds`; else 200 when hunting a mutant, unbounded with `--minutes`, 20. */
function seedCount(args: Args): number {
  if (args.seeds !== undefined) return args.seeds;
  if (args.mutant) return 200;
  return args.minutes === undefined ? 20 : Number.POSITIVE_INFINITY;
}

/** What `fork` yields: a seed's summary, or a child's CPU time when it is done. */
type ChildLine = SeedSummary | { cpuMs: number };

/**
 * Seeds in `args.jobs` child processes (each seed still runs in one process), as they finish.
 * `stop()` ends the children still running (a mutant hunt that has its answer).
 */
function fork(args: Args): { lines: AsyncGenerator<ChildLine>; stop: () => void } {
  const script = fileURLToPath(import.meta.url);
  const count = seedCount(args);
  let stopped = false;
  // no more processes than seeds
  const jobs = Math.max(1, Math.min(args.jobs, count));
  const children = Array.from({ length: jobs }, (_, k) => {
    const argv = [
      ...['--child', '--from', String(args.from + k), '--stride', String(jobs)],
      ...['--sim-seconds', String(args.simSeconds), '--trace', String(args.trace)],
      ...(Number.isFinite(count) ? ['--seeds', String(count - k)] : []),
      ...(args.minutes !== undefined ? ['--minutes', String(args.minutes)] : []),
      ...(args.mode ? ['--mode', args.mode] : []),
      ...(args.mutant ? ['--mutant', args.mutant] : []),
    ];
    return spawn(process.execPath, ['--import', 'tsx', script, ...argv], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  });
  const queue: ChildLine[] = [];
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
      if (code !== 0 && !stopped) forked.failed++;
      open--;
      wake?.();
    });
  }
  async function* lines(): AsyncGenerator<ChildLine> {
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
  return {
    lines: lines(),
    stop: () => {
      stopped = true;
      for (const child of children) if (child.exitCode === null) child.kill();
    },
  };
}

/**
 * Hunts `mutant` in seeds `from` .. `from + count - 1` (in `jobs` processes): the first seed that
 * fails a check, or null. With several processes, seeds finish out of order: the hunt ends once
 * every seed below the lowest failing one has run, so the answer is the same as in one process.
 */
async function hunt(
  args: Args,
  mutant: MutantName,
  count: number,
): Promise<{ caught: number | null; failure?: string }> {
  const a: Args = { ...args, mutant, seeds: count, minutes: undefined, seed: undefined };
  if (args.jobs <= 1) {
    for await (const r of seedsHere(a))
      if (r.violations > 0) return { caught: r.seed, failure: r.failure ?? '' };
    return { caught: null };
  }
  const { lines, stop } = fork(a);
  const done = new Set<number>();
  let best: SeedSummary | undefined;
  const settled = () => {
    if (!best) return false;
    for (let seed = a.from; seed < best.seed; seed++) if (!done.has(seed)) return false;
    return true;
  };
  for await (const r of lines) {
    if ('cpuMs' in r) continue;
    done.add(r.seed);
    if (r.violations > 0 && (!best || r.seed < best.seed)) best = r;
    if (settled()) break;
  }
  stop();
  return best ? { caught: best.seed, failure: best.failure ?? '' } : { caught: null };
}

/** Runs one seed (`--seed S`), prints it, and with `--json` writes its report. */
async function oneSeed(args: Args, seed: number): Promise<void> {
  const started = performance.now();
  const r = await runSeed(seed, options(args));
  const realMs = performance.now() - started;
  if (args.log) writeFileSync(args.log, `${r.log.join('\n')}\n`);
  console.log(
    `seed ${r.seed}: ${r.mode} clocks, ${r.processes} processes, ${r.operations} operations, ${r.events} events, ${r.pauses} pauses, ${r.crashes} crashes, ${r.clockSteps} clock steps; history sha256 ${r.hash}`,
  );
  console.log(`  ${JSON.stringify(r.verdict.stats)}`);
  const violations = r.verdict.violations.reduce((n, v) => n + v.count, 0);
  const shown = violations > 0 && args.shrink ? await shrink(seed, args, r) : r;
  if (violations > 0) console.error(describeFailure(shown, args.trace));
  if (args.json) {
    writeReport({
      seed,
      ...(args.mutant && { mutant: args.mutant }),
      mode: r.mode,
      processes: r.processes,
      leaseMs: r.leaseMs,
      maxClockSkewMs: r.maxClockSkewMs,
      simulatedSecondsPerSeed: args.simSeconds,
      operations: r.operations,
      realSeconds: Math.round(realMs / 100) / 10,
      backendCalls: r.backendCalls,
      events: r.events,
      pauses: r.pauses,
      crashes: r.crashes,
      clockSteps: r.clockSteps,
      historySha256: r.hash,
      violations,
      checks: r.verdict.violations.map((v) => ({ check: v.check, count: v.count, details: v.details })),
      checked: r.verdict.stats,
      replay: replayCommand(r),
      machine: { cpus: availableParallelism(), node: process.version },
    });
  }
  process.exitCode = violations > 0 ? 1 : 0;
}

function writeReport(report: object): void {
  writeFileSync(new URL('./report.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
  console.log('wrote sim/report.json');
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  if (args.seed !== undefined) {
    await oneSeed(args, args.seed);
    return;
  }
  if (args.mutant && !args.child) {
    const t0 = performance.now();
    const count = seedCount(args);
    const { caught, failure } = await hunt(args, args.mutant, count);
    if (failure) console.error(failure);
    console.log(
      caught === null
        ? `mutant ${args.mutant}: NOT caught in seeds ${args.from}-${args.from + count - 1}`
        : `mutant ${args.mutant}: caught by seed ${caught} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    process.exitCode = caught === null ? 1 : 0;
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
  const source = args.jobs > 1 && !args.child ? fork(args).lines : seedsHere(args);
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
    // counts add up; a longest wait (`...MaxWaitMs`) is the longest of all seeds
    for (const [k, v] of Object.entries(r.stats))
      stats[k] = k.includes('Max') ? Math.max(stats[k] ?? 0, Math.round(v)) : (stats[k] ?? 0) + v;
    violations += r.violations;
    if (r.failure !== undefined) {
      failures.push({ seed: r.seed, checks: r.checks });
      console.error(r.failure);
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

  const mutantSeeds = args.mutantSeeds ?? Math.max(20, seeds);
  const mutants: Record<string, number | null> = {};
  const huntSeconds: Record<string, number> = {};
  if (args.json || args.mutants) {
    for (const m of MUTANTS) {
      const t0 = performance.now();
      mutants[m] = (await hunt({ ...args, from: 1 }, m, mutantSeeds)).caught;
      huntSeconds[m] = Math.round((performance.now() - t0) / 100) / 10;
      console.log(
        `mutant ${m}: ${mutants[m] === null ? `NOT caught in ${mutantSeeds} seeds` : `caught by seed ${mutants[m]}`} (${huntSeconds[m]} s)`,
      );
    }
    if (forked.failed > 0) throw new Error(`${forked.failed} simulator processes of the mutant hunts failed`);
  }
  if (args.json) {
    writeReport({
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
      mutantSeedsTried: mutantSeeds,
      huntSeconds,
      machine: { cpus: availableParallelism(), node: process.version, loadAverage: loadavg() },
    });
  }
  const missed = Object.entries(mutants).filter(([, s]) => s === null);
  if (violations > 0 || missed.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 2;
});
