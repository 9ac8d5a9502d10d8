import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ValidationError } from '../contract/errors/store.js';
import {
  checkBoolean,
  checkDuration,
  checkName,
  checkText,
  MAX_LEASE_MS,
  MAX_TIMER_MS,
  MAX_TTL_MS,
  resolveOptions,
} from '../contract/validate.js';
import { checkPrefix } from './placement.js';

/**
 * Options of `store.lock(key, options)` (and of semaphores and `withLock`). Timing is checked
 * once, at construction: an inconsistent combination is a `ValidationError`.
 *
 * @example
 * ```ts
 * const lock = store.lock('jobs/reindex', { leaseMs: 30_000, data: JSON.stringify({ pid: process.pid }) });
 * ```
 */
export interface LockOptions {
  /**
   * How long a grant or renewal holds the lock without another renewal. A crashed holder's lock
   * is taken over about this long (+ 0.5 % rate-drift margin) after its last renewal reached the
   * waiter.
   * @default 10_000
   */
  leaseMs?: number;
  /**
   * Renew every this many ms while held; must leave room for two renewals in a lease
   * (`2 * heartbeatMs < leaseMs`). `false`: no timer at all, the caller renews with
   * `lease.renew()` (AWS Lambda, where timers stall between invocations).
   * @default leaseMs / 3
   */
  heartbeatMs?: number | false;
  /**
   * The largest difference between the wall clocks of any two processes sharing the lock. A
   * contender never takes a live lease from a holder whose clock differs from its own by less.
   * Must be below `leaseMs`.
   * @default 1_000
   */
  maxClockSkewMs?: number;
  /** Who holds the lock, as other processes see it. @default `<hostname>:<pid>:<random>` (unique per lock object) */
  owner?: string;
  /** A small string (at most 1 KB) stored with the lease for other processes to read (`holder()`). */
  data?: string;
  /**
   * Put the row under this prefix: its partition key is `<prefix>_lock/<key>` (semaphores
   * `<prefix>_semaphore/<key>`, elections `<prefix>_election/<name>`), so an IAM policy with
   * `dynamodb:LeadingKeys` `StringLike` `<prefix>*` confines a tenant to its own rows. With the
   * key, at most 2 048 bytes (DynamoDB's partition key limit, checked before any write); every
   * process sharing the lock must use the same prefix.
   * @default '' (no prefix)
   */
  prefix?: string;
  /**
   * How long a lock row stays after its lease ends before the table's TTL reaps it. The row
   * carries the last fencing token; once it is gone, tokens continue from the wall-clock floor
   * (see docs/locks.md), which is safe while clocks differ by less than this. At most ten years
   * (`MAX_TTL_MS`).
   * @default 86_400_000 (one day)
   */
  retentionMs?: number;
  /**
   * Longest pause between two reads while waiting for a held lock; waiters start faster and back
   * off to this, with jitter: at most about `2000 / pollMs` reads per second per waiter.
   * At least 1, at most 2^31-1 (Node's longest timer).
   * @default min(1_000, leaseMs / 4)
   */
  pollMs?: number;
  /**
   * Wake waiters from the table's change feed (DynamoDB Streams) when the lock row changes; while
   * the feed is live a waiter reads the row only about once per `leaseMs`, and polls every
   * `pollMs` when the feed is off, failing or throttled.
   *
   * Off by default with `heartbeatMs: false` (a short-lived waiter such as a Lambda invocation):
   * its own Streams poller would cost DescribeTable, DescribeStream and GetShardIterator before its
   * first wake-up, and each concurrent invocation would be one more reader of the stream's shards,
   * where DynamoDB Streams serves about 5 GetRecords per second per shard across all readers and
   * advises at most two readers: twenty waiting invocations would throttle every watcher of the
   * table. Polling the one row costs one read per `pollMs`, only while the invocation waits.
   * @default true (false when `heartbeatMs` is false)
   */
  wakeOnChange?: boolean;
  /**
   * How long `acquire` keeps retrying while every store call fails (endpoint unreachable,
   * throttling, 5xx) before it rejects with the last `BackendError`. Non-retryable errors (missing
   * table, bad credentials) reject at once. `Infinity`: retry until `waitMs` or the signal ends
   * the wait.
   * @default 30_000
   */
  maxOutageMs?: number;
}

/**
 * {@link LockOptions} with every default filled in.
 *
 * @example
 * ```ts
 * const o: ResolvedLockOptions = store.lock('job').options;
 * console.log(o.leaseMs, o.heartbeatMs, o.owner);
 * ```
 */
export interface ResolvedLockOptions {
  readonly leaseMs: number;
  readonly heartbeatMs: number | false;
  readonly maxClockSkewMs: number;
  readonly owner: string;
  readonly data: string | undefined;
  /** The row's prefix (see {@link LockOptions.prefix}). */
  readonly prefix: string;
  readonly retentionMs: number;
  readonly pollMs: number;
  readonly wakeOnChange: boolean;
  readonly maxOutageMs: number;
}

/**
 * The default of {@link LockOptions.maxOutageMs}: how long a waiting `acquire` sits through a store
 * that fails every call.
 *
 * @example
 * ```ts
 * store.lock('job', { maxOutageMs: 2 * DEFAULT_MAX_OUTAGE_MS });
 * ```
 */
export const DEFAULT_MAX_OUTAGE_MS = 30_000;

const MAX_OWNER_BYTES = 512;
const MAX_DATA_BYTES = 1024;

/**
 * The one list of lock options: each name with its default, in the order error messages name
 * them. {@link lockOptionNames}, the names `withLock` and elections accept, and the "known: ..."
 * list of an unknown-option error all come from here; the compiler keeps it in step with
 * {@link LockOptions}.
 */
function lockOptionDefaults() {
  return {
    leaseMs: 10_000,
    heartbeatMs: undefined as number | false | undefined,
    maxClockSkewMs: 1_000,
    owner: undefined as string | undefined,
    data: undefined as string | undefined,
    prefix: '',
    retentionMs: 86_400_000,
    pollMs: undefined as number | undefined,
    wakeOnChange: undefined as boolean | undefined,
    maxOutageMs: DEFAULT_MAX_OUTAGE_MS,
  } satisfies { readonly [K in keyof Required<LockOptions>]: unknown };
}

/**
 * The option names {@link resolveLockOptions} knows, for callers that mix them with their own.
 *
 * @example
 * ```ts
 * lockOptionNames.includes('leaseMs'); // true
 * ```
 */
export const lockOptionNames: readonly string[] = Object.keys(lockOptionDefaults());

/**
 * Fills in defaults and validates a {@link LockOptions} object (unknown names, bad values and
 * inconsistent timing are `ValidationError`s).
 *
 * @example
 * ```ts
 * const o = resolveLockOptions('lock', { leaseMs: 500 }); // heartbeatMs 166.67, pollMs 125
 * ```
 */
export function resolveLockOptions(context: string, options: LockOptions | undefined): ResolvedLockOptions {
  const o = resolveOptions(context, options, lockOptionDefaults());
  const leaseMs = checkDuration(`${context}.leaseMs`, o.leaseMs, { max: MAX_LEASE_MS });
  const heartbeatMs =
    o.heartbeatMs === false ? false : checkDuration(`${context}.heartbeatMs`, o.heartbeatMs ?? leaseMs / 3);
  if (heartbeatMs !== false && 2 * heartbeatMs >= leaseMs) {
    throw new ValidationError(
      `${context}.heartbeatMs`,
      `must leave room for two renewals per lease (2 * ${heartbeatMs} >= leaseMs ${leaseMs})`,
    );
  }
  const maxClockSkewMs = checkDuration(`${context}.maxClockSkewMs`, o.maxClockSkewMs, { allowZero: true });
  if (maxClockSkewMs >= leaseMs) {
    throw new ValidationError(
      `${context}.maxClockSkewMs`,
      `must be below leaseMs (${maxClockSkewMs} >= ${leaseMs})${options?.maxClockSkewMs === undefined ? '; the default is 1000: pass a smaller maxClockSkewMs with short leases' : ''}`,
    );
  }
  const retentionMs = checkDuration(`${context}.retentionMs`, o.retentionMs, { max: MAX_TTL_MS });
  if (retentionMs <= maxClockSkewMs || retentionMs < 1_000) {
    throw new ValidationError(
      `${context}.retentionMs`,
      `must be at least 1000 and above maxClockSkewMs (${maxClockSkewMs}), got ${retentionMs}`,
    );
  }
  const pollMs = checkDuration(`${context}.pollMs`, o.pollMs ?? Math.min(1_000, leaseMs / 4), {
    max: MAX_TIMER_MS,
  });
  if (pollMs < 1) throw new ValidationError(`${context}.pollMs`, `must be at least 1, got ${pollMs}`);
  // A waiter without heartbeats is short-lived (Lambda): no Streams poller of its own (see LockOptions).
  const wakeOnChange =
    o.wakeOnChange === undefined
      ? heartbeatMs !== false
      : checkBoolean(`${context}.wakeOnChange`, o.wakeOnChange);
  const maxOutageMs =
    o.maxOutageMs === Number.POSITIVE_INFINITY
      ? o.maxOutageMs
      : checkDuration(`${context}.maxOutageMs`, o.maxOutageMs);
  const owner =
    o.owner === undefined ? defaultOwner() : checkName(`${context}.owner`, o.owner, MAX_OWNER_BYTES);
  if (o.data !== undefined) {
    checkText(`${context}.data`, o.data);
    if (Buffer.byteLength(o.data, 'utf8') > MAX_DATA_BYTES)
      throw new ValidationError(`${context}.data`, `is over ${MAX_DATA_BYTES} bytes`);
  }
  const prefix = checkPrefix(`${context}.prefix`, o.prefix);
  return {
    leaseMs,
    heartbeatMs,
    maxClockSkewMs,
    owner,
    data: o.data,
    prefix,
    retentionMs,
    pollMs,
    wakeOnChange,
    maxOutageMs,
  };
}

/**
 * A fresh owner id: host, pid and 48 random bits.
 *
 * @example
 * ```ts
 * defaultOwner(); // 'web-1:4242:9f86d081884c'
 * ```
 */
export function defaultOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
}
