import type { Backend, CallListener } from '../contract/backend.js';
import { systemClock } from '../contract/clock/system.js';
import type { Clock } from '../contract/clock/types.js';
import { ValidationError } from '../contract/errors/store.js';
import { type AttributeNames, resolveAttributeNames } from '../contract/names.js';
import type { Telemetry, TelemetryOptions } from '../contract/telemetry.js';
import {
  checkBoolean,
  checkDuration,
  checkFunction,
  checkShape,
  MAX_TIMER_MS,
  resolveOptions,
} from '../contract/validate.js';
import { DynamoBackend, type DynamoBackendOptions } from '../dynamodb/backend.js';
import type { DynamoDBClient } from '../dynamodb/client.js';
import { resolveFeedOptions } from '../dynamodb/streams/options.js';
import type { GlobalTablePolicy } from '../dynamodb/table-mode.js';
import { checkTableName } from '../dynamodb/table-name.js';
import { Election } from '../election/election.js';
import type { ElectionOptions } from '../election/options.js';
import { type Lease, Lock, type LockOptions, type WithLockOptions, withLock } from '../lock/index.js';
import { DEFAULT_LEGACY_LAYOUT_CHECK_MS, LegacyLayoutCheck } from '../lock/internal.js';
import { Semaphore, type SemaphoreOptions } from '../semaphore/semaphore.js';
import { countThrottles, createTelemetry } from '../telemetry/index.js';
import { WorkGroup, type WorkGroupOptions } from '../workgroup/index.js';
import { Partition } from './partition.js';
import { Session, type SessionOptions } from './session.js';
import { groupStore } from './work-group-store.js';

/** Options of a {@link Dynastore}: a DynamoDB table (`client` + `tableName`) or a `backend`. */
export interface DynastoreOptions {
  /** The DynamoDB client; yours to configure and destroy, never destroyed here. */
  client?: DynamoDBClient;
  /** The table, made with `createTable` (or the CloudFormation in docs/table-layout.md). */
  tableName?: string;
  /** Physical attribute names, for tables made by other tools. @default Go dynastore's (`id`, `name`, `version`, `payload`, `expires`) */
  attributeNames?: Partial<AttributeNames>;
  /** Another store implementation, e.g. `new MemoryBackend()`; excludes `client` and `tableName`. */
  backend?: Backend;
  /** The time source of leases and expiry. @default systemClock */
  clock?: Clock;
  /**
   * Source of randomness in [0, 1) for retry jitter and the order in which a semaphore's free
   * slots are tried. Pass a seeded generator (with a virtual `clock`) for runs that replay
   * exactly, as the deterministic simulator does. @default Math.random
   */
  random?: () => number;
  /** Receives one event per DynamoDB call (operation, duration, consumed capacity, error). */
  onCall?: CallListener;
  /** Whether reads are strongly consistent unless a call says otherwise. @default true */
  consistentReads?: boolean;
  /** Options of the DynamoDB Streams poller behind `watch` (see the watch docs). */
  stream?: DynamoBackendOptions['stream'];
  /**
   * How often (ms) the store looks for processes of the old row layout (every lock row under
   * `_locks`, before each lock had a partition key of its own) on the same table: before its first
   * grant of each kind, before a grant when its last look is older than this, and every this many
   * ms while it holds leases. One query of the old partition per look (about 0.5 read units when
   * no old process is left), per store, not per lock. An old-layout holder of a lock makes
   * `acquire` reject with `LegacyLayoutError` and ends a lease of that lock this store holds.
   * `false`: never look (every process of the table runs this layout). DynamoDB stores only.
   * @default 60_000
   */
  legacyLayoutCheckMs?: number | false;
  /**
   * On a DynamoDB global table in multi-Region eventual consistency (MREC), where a condition is
   * checked in one Region only: `'refuse'` fails locks, semaphores, elections, sessions,
   * `atomicPut`, `atomicDelete` and fenced writes with a `GlobalTableError` before any write;
   * `'single-writer-region'` allows them, for a team whose every writing process writes in one
   * Region. dynastore learns the table's mode with one DescribeTable, on the first such use.
   * @default 'refuse'
   */
  globalTable?: GlobalTablePolicy;
  /**
   * OpenTelemetry spans and metrics (docs/observability.md): on when `@opentelemetry/api` is
   * installed (with no SDK registered they are the API's no-ops); `false` turns them off.
   * @default {} (on, each lock named by its key)
   */
  telemetry?: TelemetryOptions | false;
}

/**
 * The entry point: one table (or memory backend) shared by key/value partitions, locks,
 * semaphores, elections and watches.
 *
 * @example
 * ```ts
 * const store = new Dynastore({ client: new DynamoDBClient({}), tableName: 'dynastore' });
 * const kv = store.partition('config');
 * await kv.put('a', 'text', { ttlMs: 60_000 });
 *
 * const mem = new Dynastore({ backend: new MemoryBackend() });
 * ```
 */
export class Dynastore {
  /** The store contract this instance writes through. */
  readonly backend: Backend;
  readonly clock: Clock;
  /** Jitter source of lock, semaphore and election retries (the `random` option). */
  readonly random: () => number;
  readonly consistentReads: boolean;
  /** The look for old-layout processes (DynamoDB stores, unless `legacyLayoutCheckMs: false`). */
  readonly legacyLayout?: LegacyLayoutCheck;
  /** Where locks, sessions, elections and watches report spans and metrics; undefined: nowhere. */
  readonly telemetry: Telemetry | undefined;

  constructor(options: DynastoreOptions) {
    const o = resolveOptions('Dynastore', options, {
      client: undefined as DynamoDBClient | undefined,
      tableName: undefined as string | undefined,
      attributeNames: undefined as Partial<AttributeNames> | undefined,
      backend: undefined as Backend | undefined,
      clock: systemClock as Clock,
      random: Math.random as () => number,
      onCall: undefined as CallListener | undefined,
      consistentReads: true,
      stream: undefined as DynamoBackendOptions['stream'],
      legacyLayoutCheckMs: undefined as number | false | undefined,
      globalTable: undefined as GlobalTablePolicy | undefined,
      telemetry: undefined as TelemetryOptions | false | undefined,
    });
    this.clock = checkShape<Clock>('Dynastore.clock', o.clock, CLOCK_METHODS, 'a Clock');
    this.random = checkFunction('Dynastore.random', o.random);
    this.consistentReads = checkBoolean('Dynastore.consistentReads', o.consistentReads);
    if (o.onCall !== undefined) checkFunction('Dynastore.onCall', o.onCall);
    if (o.backend !== undefined) {
      checkShape<Backend>(
        'Dynastore.backend',
        o.backend,
        BACKEND_METHODS,
        'a Backend (e.g. new MemoryBackend())',
      );
      if (
        o.client ||
        o.tableName ||
        o.attributeNames ||
        o.stream ||
        o.legacyLayoutCheckMs !== undefined ||
        o.globalTable
      ) {
        throw new ValidationError(
          'Dynastore.backend',
          'excludes client, tableName, attributeNames, stream, legacyLayoutCheckMs and globalTable',
        );
      }
      if (o.onCall) throw new ValidationError('Dynastore.onCall', 'pass onCall to the backend you construct');
      this.backend = o.backend;
      this.telemetry = createTelemetry(o.telemetry, { kind: o.backend.kind });
      return;
    }
    if (!o.client)
      throw new ValidationError('Dynastore.client', 'is required (a DynamoDBClient), or pass a backend');
    const client = checkShape<DynamoDBClient>('Dynastore.client', o.client, ['send'], 'a DynamoDBClient');
    if (o.tableName === undefined) throw new ValidationError('Dynastore.tableName', 'is required');
    const tableName = checkTableName(o.tableName);
    const names = resolveAttributeNames(o.attributeNames);
    if (o.globalTable !== undefined && !GLOBAL_TABLE_POLICIES.includes(o.globalTable)) {
      throw new ValidationError(
        'Dynastore.globalTable',
        `must be 'refuse' or 'single-writer-region', got ${JSON.stringify(o.globalTable)}`,
      );
    }
    // The Streams poller is made lazily (first watch); its options are checked now.
    if (o.stream !== undefined) resolveFeedOptions({ ...o.stream, client, tableName, names, clock: o.clock });
    this.telemetry = createTelemetry(o.telemetry, { kind: 'dynamodb', tableName });
    const onCall = this.telemetry ? countThrottles(this.telemetry, o.onCall) : o.onCall;
    this.backend = new DynamoBackend({
      client,
      tableName,
      names,
      clock: o.clock,
      ...(onCall && { onCall }),
      ...(o.stream && { stream: o.stream }),
      ...(o.globalTable && { globalTable: o.globalTable }),
      ...(this.telemetry && { telemetry: this.telemetry }),
    });
    const checkMs =
      o.legacyLayoutCheckMs === false
        ? false
        : checkDuration(
            'Dynastore.legacyLayoutCheckMs',
            o.legacyLayoutCheckMs ?? DEFAULT_LEGACY_LAYOUT_CHECK_MS,
            {
              max: MAX_TIMER_MS,
            },
          );
    if (checkMs !== false) this.legacyLayout = new LegacyLayoutCheck(this.backend, this.clock, checkMs);
  }

  /**
   * The keys under one partition name (the table's hash key).
   *
   * @example
   * ```ts
   * const jobs = store.partition('jobs');
   * ```
   */
  partition(name: string): Partition {
    return new Partition(this, name);
  }

  /**
   * A lock on `key`: leases with heartbeats and fencing tokens (see {@link Lock}). Cheap to make;
   * nothing is read or written until `acquire`.
   *
   * @example
   * ```ts
   * const lease = await store.lock('jobs/reindex', { leaseMs: 10_000 }).acquire({ waitMs: 30_000 });
   * ```
   */
  lock(key: string, options?: LockOptions): Lock {
    return new Lock(this, key, options);
  }

  /**
   * Acquires `key`, runs `fn(lease)`, releases in `finally`. Rejects with the `LeaseLostError`
   * if the lease was lost while `fn` ran (and `fn` did not throw).
   *
   * @example
   * ```ts
   * await store.withLock('jobs/reindex', async (lease) => reindex({ fencingToken: lease.token, signal: lease.signal }));
   * ```
   */
  withLock<T>(key: string, fn: (lease: Lease) => Promise<T> | T, options?: WithLockOptions): Promise<T> {
    return withLock(this, key, fn, options);
  }

  /**
   * A counting semaphore of `permits` holders on `key` (see {@link Semaphore}).
   *
   * @example
   * ```ts
   * await using permit = await store.semaphore('encoders', { permits: 3 }).acquire();
   * ```
   */
  semaphore(key: string, options: SemaphoreOptions): Semaphore {
    return new Semaphore(this, key, options);
  }

  /**
   * Leader election on `name`, built on a lock (see {@link Election}): `campaign(id)` resolves
   * once elected, `observe()` follows the leader, `run(id, callbacks)` leads with callbacks.
   *
   * @example
   * ```ts
   * const leadership = await store.election('scheduler').campaign('node-1');
   * console.log(`leading, term ${leadership.term}`);
   * ```
   */
  election(name: string, options?: ElectionOptions): Election {
    return new Election(this, name, options);
  }

  /**
   * Opens a session (see {@link Session}): one session row renewed by one heartbeat, and locks,
   * semaphores and elections whose leases are tied to it instead of renewing their own rows.
   * One conditional write; rejects with the `BackendError` if it fails.
   *
   * @example
   * ```ts
   * await using session = await store.session({ leaseMs: 10_000 });
   * const lease = await session.lock('shards/7').acquire();
   * ```
   */
  session(options?: SessionOptions): Promise<Session> {
    return Session.open(this, options);
  }

  /**
   * A work group (see {@link WorkGroup}): `shards` shards spread over the live members that join
   * with their sessions, balanced and sticky, each shard a lock with fencing tokens. Cheap to make;
   * nothing is read or written until `join`, `members` or `assignment`.
   *
   * @example
   * ```ts
   * const group = store.workGroup('encoders', { shards: 64 });
   * await using member = await group.join(session, { onShard: async (shard, lease) => encode(shard, lease.signal) });
   * ```
   */
  workGroup(name: string, options?: WorkGroupOptions): WorkGroup {
    return new WorkGroup(groupStore(this), name, options);
  }
}

const GLOBAL_TABLE_POLICIES: readonly unknown[] = ['refuse', 'single-writer-region'];
const CLOCK_METHODS = ['now', 'monotonic', 'setTimeout', 'sleep'];
const BACKEND_METHODS = ['get', 'write', 'delete', 'query', 'transact', 'changes'];
