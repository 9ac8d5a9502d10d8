/** What every worker is told on its command line (one JSON argument). */
export interface WorkerConfig {
  readonly kind: 'counter' | 'kv' | 'watch' | 'lease' | 'election' | 'session' | 'workgroup';
  /** Unique per worker incarnation (a respawned worker gets a new id). */
  readonly id: string;
  /** The fault proxy's endpoint. */
  readonly endpoint: string;
  readonly tableName: string;
  /** Seed of the worker's random choices. */
  readonly seed: number;
  /** Wall-clock offset of this worker's store clock (ms). */
  readonly skewMs: number;
  /** Epoch ms after which the worker stops by itself (a safety net; the runner stops it first). */
  readonly stopAt: number;
  /** Client request timeout (ms). */
  readonly requestTimeoutMs: number;
  /** SDK attempts per call (the SDK's default is 3: automatic retries). */
  readonly maxAttempts: number;
  readonly counter?: CounterConfig;
  readonly kv?: KvConfig;
  readonly watch?: WatchConfig;
  readonly lease?: LeaseConfig;
  readonly election?: ElectionConfig;
  readonly session?: SessionConfig;
  readonly workgroup?: WorkGroupConfig;
}

export interface CounterConfig {
  /** Write with `{ fence: lease }` (the real workload) or not (the control run). */
  readonly fenced: boolean;
  readonly partition: string;
  readonly lockKey: string;
  readonly counterKey: string;
  readonly leaseMs: number;
  readonly maxClockSkewMs: number;
  /** Time spent "working" between the read and the write, where a pause does harm. */
  readonly workMs: readonly [number, number];
}

export interface KvConfig {
  readonly partition: string;
  readonly keys: readonly string[];
  /** Concurrent logical clients. */
  readonly clients: number;
  readonly thinkMs: readonly [number, number];
}

export interface WatchConfig {
  readonly partition: string;
  readonly keys: readonly string[];
  /** Watchers in this process (each subscribes to every key). */
  readonly watchers: number;
  /** Whether this process also writes (one writer process per run). */
  readonly writer: boolean;
  readonly writeEveryMs: number;
  /** How long watchers keep going after `stopAt` to catch up. */
  readonly drainMs: number;
}

/** How a holder (of a lock, or of leadership) holds: how long, and how often it checks. */
export interface HoldConfig {
  readonly leaseMs: number;
  readonly maxClockSkewMs: number;
  /** How long a holder keeps the lock (or leads) before releasing (resigning), unless it loses it. */
  readonly holdMs: readonly [number, number];
  /** How often a holder checks `held` (`isLeader`) and prints a claim while it holds. */
  readonly sampleMs: number;
}

export interface LeaseConfig extends HoldConfig {
  readonly lockKey: string;
}

export interface ElectionConfig extends HoldConfig {
  /** The election's name. */
  readonly name: string;
}

/** One session per worker, holding many locks of a shared pool through it. */
export interface SessionConfig extends HoldConfig {
  /** The partition of the keys' counters (one counter per lock key). */
  readonly partition: string;
  /** The shared pool of lock keys (every session worker takes locks of the same pool). */
  readonly keys: readonly string[];
  /** Loops per worker, each holding at most one lock of the pool at a time. */
  readonly slots: number;
  /** Time between a counter's read and its fenced write, where a pause does harm. */
  readonly workMs: readonly [number, number];
  /** Pause between two increments under one lease. */
  readonly thinkMs: readonly [number, number];
}

/** The work-group workload (chaos/workers/workgroup.ts). */
export interface WorkGroupConfig extends HoldConfig {
  readonly group: string;
  readonly shards: number;
  /** The partition of the shards' counters (`shard-<n>`). */
  readonly partition: string;
  /** Fenced counter writes (the real workload) or plain ones (the control). */
  readonly fenced: boolean;
  readonly workMs: readonly [number, number];
  readonly thinkMs: readonly [number, number];
}

/**
 * Parses the worker's JSON argument.
 *
 * @example
 * ```ts
 * const config = parseWorkerConfig(process.argv[2]);
 * ```
 */
export function parseWorkerConfig(arg: string | undefined): WorkerConfig {
  if (!arg) throw new Error('usage: node --import tsx chaos/worker.ts <json config>');
  return JSON.parse(arg) as WorkerConfig;
}
