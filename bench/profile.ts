/** Sizes of one benchmark run. `quick` takes a few minutes on 2 cores; `full` (about 15) is for the README. */
export interface Profile {
  readonly mode: 'quick' | 'full';
  readonly warmupOps: number;
  readonly kvRounds: number;
  readonly kvOpsPerRound: number;
  readonly cycleRounds: number;
  readonly cycleOpsPerRound: number;
  /** Series of 7 handoffs (8 workers queueing for one lock) per side, alternating sides. */
  readonly handoffSeries: number;
  /** Kill -9 trials per side. */
  readonly failovers: number;
  /** Window over which renewals are counted, per side. */
  readonly holdingWindowMs: number;
  /** Writes whose delivery to a watcher is timed. */
  readonly watchEvents: number;
  /** Window over which the Streams poller's calls are counted, per subscriber count. */
  readonly pollerWindowMs: number;
  /** Rounds of the uncontended cycle through the delay proxy (3 sides, `cycleOpsPerRound` each). */
  readonly rttCycleRounds: number;
  /** Kill -9 trials per side through the delay proxy. */
  readonly rttFailovers: number;
  /** Acquisitions per waiting process in the shard-limited handoff scenarios. */
  readonly shardRounds: number;
}

const QUICK: Profile = {
  mode: 'quick',
  warmupOps: 80,
  kvRounds: 10,
  kvOpsPerRound: 20,
  cycleRounds: 10,
  cycleOpsPerRound: 15,
  handoffSeries: 1,
  failovers: 2,
  holdingWindowMs: 11_000,
  watchEvents: 40,
  pollerWindowMs: 8_000,
  rttCycleRounds: 6,
  rttFailovers: 2,
  shardRounds: 1,
};

const FULL: Profile = {
  mode: 'full',
  warmupOps: 300,
  kvRounds: 100,
  kvOpsPerRound: 20,
  cycleRounds: 50,
  cycleOpsPerRound: 20,
  handoffSeries: 4,
  failovers: 8,
  holdingWindowMs: 60_000,
  watchEvents: 150,
  pollerWindowMs: 30_000,
  rttCycleRounds: 20,
  rttFailovers: 6,
  shardRounds: 3,
};

/** Command-line options of `npm run bench`. */
export interface BenchArgs {
  readonly profile: Profile;
  /** Only scenarios whose name contains one of these (case-insensitive); empty: all. */
  readonly only: readonly string[];
  /** Round trip the delay proxy adds to every call of the `rtt-*` and `shard-*` scenarios; 0 skips them. @default 4 */
  readonly rttMs: number;
  /**
   * With `--only`: put the rows of this run into bench/results.json in place of the rows of the
   * same name (the others stay as they were), and render the README section again. @default false
   */
  readonly merge: boolean;
}

/** Every scenario key `--only` can name (a key matches when it contains the given text). */
export const SCENARIO_KEYS =
  'kv,lock,handoff,failover,holding,watch,rtt-check,rtt-lock,rtt-handoff,rtt-failover,shard-handoff,partition-heat,work-group';

/**
 * Parses `--quick`, `--rtt-ms n`, `--only a,b` and `--merge` (unknown flags are an error).
 *
 * @example
 * ```ts
 * parseArgs(['--quick', '--only', 'kv']); // quick profile, kv scenarios only
 * ```
 */
export function parseArgs(argv: readonly string[]): BenchArgs {
  let profile = FULL;
  let rttMs = 4;
  const only: string[] = [];
  let merge = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') profile = QUICK;
    else if (arg === '--merge') merge = true;
    else if (arg === '--full') profile = FULL;
    else if (arg === '--only' && argv[i + 1] !== undefined)
      only.push(...argv[++i]!.split(',').map((s) => s.trim().toLowerCase()));
    else if (arg === '--rtt-ms' && argv[i + 1] !== undefined) {
      rttMs = Number(argv[++i]);
      if (!Number.isFinite(rttMs) || rttMs < 0 || rttMs > 1_000)
        throw new Error(`--rtt-ms takes milliseconds from 0 to 1000, got ${argv[i]}`);
    } else
      throw new Error(
        `unknown argument ${arg}; usage: npm run bench [-- --quick] [--rtt-ms 4] [--only ${SCENARIO_KEYS} [--merge]]`,
      );
  }
  if (merge && only.length === 0)
    throw new Error('--merge goes with --only (a whole run replaces every row)');
  return { profile, only, rttMs, merge };
}
