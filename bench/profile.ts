/** Sizes of one benchmark run. `quick` stays under 3 minutes on 2 cores; `full` is for the README. */
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
};

/** Command-line options of `npm run bench`. */
export interface BenchArgs {
  readonly profile: Profile;
  /** Only scenarios whose name contains one of these (case-insensitive); empty: all. */
  readonly only: readonly string[];
}

/**
 * Parses `--quick` and `--only a,b` (unknown flags are an error).
 *
 * @example
 * ```ts
 * parseArgs(['--quick', '--only', 'kv']); // quick profile, kv scenarios only
 * ```
 */
export function parseArgs(argv: readonly string[]): BenchArgs {
  let profile = FULL;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') profile = QUICK;
    else if (arg === '--full') profile = FULL;
    else if (arg === '--only' && argv[i + 1] !== undefined)
      only.push(...argv[++i]!.split(',').map((s) => s.trim().toLowerCase()));
    else
      throw new Error(
        `unknown argument ${arg}; usage: npm run bench [-- --quick] [--only kv,lock,handoff,failover,holding,watch]`,
      );
  }
  return { profile, only };
}
