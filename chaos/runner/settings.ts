import type { ShardLimitOptions } from '../faults/shard-limit.js';
import type {
  CounterConfig,
  ElectionConfig,
  KvConfig,
  LeaseConfig,
  SessionConfig,
  WatchConfig,
  WorkGroupConfig,
} from '../workers/config.js';

/** Every knob of a chaos run. */
export interface RunSettings {
  readonly seed: number;
  /** How long faults are injected. */
  readonly durationMs: number;
  readonly faultIntensity: number;
  /** How long the proxy's timeout faults hold a request. */
  readonly stallMs: number;
  /**
   * `--shard-limit`: the proxy serves each stream shard at most 5 GetRecords calls a second across
   * every worker (as AWS), the fenced counter runs 8 workers and the lease workload 20, so their
   * waiters' Streams pollers are throttled; the key/value, watch and election workloads do not run
   * (the default run checks them). Undefined: no limit.
   */
  readonly shardLimit: ShardLimitOptions | undefined;
  readonly requestTimeoutMs: number;
  readonly counterWorkers: number;
  readonly counter: Omit<CounterConfig, 'fenced' | 'partition' | 'lockKey' | 'counterKey'>;
  /** Clock skews handed to fenced-counter workers in turn (respawns continue the cycle). */
  readonly skews: readonly number[];
  /** SIGSTOP length for lock holders: longer than the lease. */
  readonly pauseMs: readonly [number, number];
  readonly kv: KvConfig;
  readonly watch: Omit<WatchConfig, 'partition' | 'keys' | 'writer'>;
  readonly kvPauseMs: readonly [number, number];
  readonly kvPauseEveryMs: number;
  /** How long after giving up an ambiguous request can still take effect (checker bound). */
  readonly infoHorizonMs: number;
  readonly leaseWorkers: number;
  readonly lease: Omit<LeaseConfig, 'lockKey'>;
  /** Clock skews of the lease workers, in turn: any two differ by less than `maxClockSkewMs`. */
  readonly leaseSkews: readonly number[];
  /** The control: two lease workers whose clocks differ by far more than `maxClockSkewMs`. */
  readonly leaseBeyondSkews: readonly number[];
  readonly electionWorkers: number;
  readonly election: Omit<ElectionConfig, 'name'>;
  /** Clock skews of the candidates, in turn (within `maxClockSkewMs` of each other). */
  readonly electionSkews: readonly number[];
  /** Session workers (one session each, many locks of one pool); their clocks are skewed as the lease workers'. */
  readonly sessionWorkers: number;
  readonly session: SessionConfig;
  /** Work-group members (fenced counters per shard), and as many in the control group (plain writes). */
  readonly workGroupWorkers: number;
  readonly workgroup: WorkGroupConfig;
  readonly nemesis: {
    pauseEveryMs: number;
    killEveryMs: number;
    /** Mean gap between two SIGKILLs of a lease holder. */
    killHolderEveryMs: number;
    /** Mean gap between two SIGKILLs of the leader. */
    killLeaderEveryMs: number;
    respawnAfterMs: readonly [number, number];
  };
}

const LEASE_MS = 2_000;
const MAX_SKEW_MS = 300;
/** The lease workers' `maxClockSkewMs` under `--wide-skew`. */
const WIDE_SKEW_MS = 1_900;

/**
 * The settings of a run: `--quick` is a one-minute run for CI; otherwise `durationS` (default 120).
 *
 * @example
 * ```ts
 * const s = settingsFor({ quick: true, seed: 1 });
 * ```
 */
export function settingsFor(o: {
  quick: boolean;
  durationS?: number;
  seed: number;
  /**
   * `--wide-skew`: the lease (and session) workers allow `maxClockSkewMs` 1 900 and their clocks are up to 1.8 s
   * apart, so a killed holder is taken over by rule (b) (a lease + drift margin, about 2 s) long
   * before rule (a) (its lease end + 1.9 s): 0 overlaps says rule (b) never takes a live holder
   * however far apart the wall clocks are. The beyond-skew control moves to clocks 5 s apart.
   */
  wideSkew?: boolean;
  /** `--shard-limit`: see {@link RunSettings.shardLimit}. */
  shardLimit?: boolean;
}): RunSettings {
  const durationS = o.durationS ?? (o.quick ? 60 : 120);
  if (!Number.isFinite(durationS) || durationS < 10)
    throw new Error(`--duration must be at least 10 seconds, got ${o.durationS}`);
  if (!Number.isInteger(o.seed)) throw new Error(`--seed must be an integer, got ${o.seed}`);
  return {
    seed: o.seed,
    durationMs: durationS * 1_000,
    faultIntensity: 1,
    stallMs: 1_500,
    shardLimit: o.shardLimit ? { getRecordsPerSecond: 5 } : undefined,
    requestTimeoutMs: 1_000,
    counterWorkers: o.shardLimit ? 8 : 3,
    counter: { leaseMs: LEASE_MS, maxClockSkewMs: MAX_SKEW_MS, workMs: [50, 250] },
    // Most within maxClockSkewMs (300), some far beyond it (from the start, and among respawns).
    skews: [0, 250, -1_500, 1_500, -200, 150, -250, 0],
    pauseMs: [Math.round(LEASE_MS * 1.5), LEASE_MS * 3],
    kv: { partition: 'kv', keys: ['k0', 'k1', 'k2'], clients: 3, thinkMs: [60, 160] },
    watch: { watchers: 2, writeEveryMs: 100, drainMs: 4_000 },
    kvPauseMs: [300, 1_500],
    kvPauseEveryMs: 12_000,
    infoHorizonMs: 10_000,
    leaseWorkers: o.shardLimit ? 20 : 3,
    lease: {
      leaseMs: LEASE_MS,
      maxClockSkewMs: o.wideSkew ? WIDE_SKEW_MS : MAX_SKEW_MS,
      holdMs: [200, LEASE_MS * 2.5],
      sampleMs: 50,
    },
    // Pairwise differences up to 290 ms, just inside maxClockSkewMs (300); with --wide-skew up to
    // 1 800 ms, inside 1 900.
    leaseSkews: o.wideSkew ? [0, 900, -900, 450, -450, 200] : [0, 145, -145, 90, -90, 40],
    // 2 000 ms apart (5 000 with --wide-skew): more than leaseMs + maxClockSkewMs - heartbeatMs, so
    // the fast clock's worker takes the lock from a live holder between two renewals, faults or not.
    leaseBeyondSkews: [0, o.wideSkew ? 5_000 : 2_000],
    electionWorkers: 3,
    election: {
      leaseMs: LEASE_MS,
      maxClockSkewMs: MAX_SKEW_MS,
      holdMs: [LEASE_MS * 1.5, LEASE_MS * 5],
      sampleMs: 50,
    },
    electionSkews: [0, 140, -140],
    // 3 sessions x 8 loops over a pool of 20 keys (more loops than keys: always some waiting); paused (past the lease) and killed by the
    // nemesis, clocks skewed as the lease workers' (and the same maxClockSkewMs).
    sessionWorkers: 3,
    session: {
      leaseMs: LEASE_MS,
      maxClockSkewMs: o.wideSkew ? WIDE_SKEW_MS : MAX_SKEW_MS,
      holdMs: [500, LEASE_MS * 3],
      sampleMs: 100,
      partition: 'session-counters',
      keys: Array.from({ length: 20 }, (_, i) => `session-${String(i).padStart(2, '0')}`),
      slots: 8,
      workMs: [20, 150],
      thinkMs: [100, 400],
    },
    // 3 members of a 12-shard group, paused past the lease and SIGKILLed, clocks skewed as the
    // session workers'; the control group is the same with plain (unfenced) counter writes
    workGroupWorkers: 3,
    workgroup: {
      leaseMs: LEASE_MS,
      maxClockSkewMs: o.wideSkew ? WIDE_SKEW_MS : MAX_SKEW_MS,
      holdMs: [0, 0],
      sampleMs: 100,
      group: 'chaos-shards',
      shards: 12,
      partition: 'workgroup-counters',
      fenced: true,
      workMs: [20, 150],
      thinkMs: [100, 400],
    },
    nemesis: {
      pauseEveryMs: 5_000,
      killEveryMs: 15_000,
      killHolderEveryMs: 12_000,
      killLeaderEveryMs: 8_000,
      respawnAfterMs: [300, 1_000],
    },
  };
}
