import type { EventEmitter } from 'node:events';
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import type DynamoDB from 'aws-sdk/clients/dynamodb.js';
import type { AWSError } from 'aws-sdk/lib/error.js';
import type { Request } from 'aws-sdk/lib/request.js';
import type { Response } from 'aws-sdk/lib/response.js';
import type { Meter } from '../meter.js';
import { epochNow } from '../sleep.js';

const require = createRequire(import.meta.url);

/** What the benchmark uses of `dynamodb-lock-client` (it ships no types). */
export interface PeerLock extends EventEmitter {
  readonly fencingToken: number | undefined;
  release(callback: (error?: Error | null) => void): void;
}

interface FailOpenConfig {
  dynamodb: DynamoDB.DocumentClient;
  lockTable: string;
  partitionKey: string;
  leaseDurationMs: number;
  heartbeatPeriodMs?: number;
  trustLocalTime?: boolean;
  retryCount?: number;
  owner?: string;
}

interface FailClosedConfig {
  dynamodb: DynamoDB.DocumentClient;
  lockTable: string;
  partitionKey: string;
  acquirePeriodMs: number;
  retryCount?: number;
  owner?: string;
}

interface PeerClient {
  acquireLock(id: string, callback: (error: Error | null | undefined, lock: PeerLock) => void): void;
}

interface PeerModule {
  FailOpen: new (config: FailOpenConfig) => PeerClient;
  FailClosed: new (config: FailClosedConfig) => PeerClient;
}

let loaded: { DynamoDB: typeof DynamoDB; peer: PeerModule } | undefined;

/** Loads the v2 SDK (the peer's dependency) with its end-of-support notice suppressed. */
function load(): { DynamoDB: typeof DynamoDB; peer: PeerModule } {
  if (!loaded) {
    const notice = require('aws-sdk/lib/maintenance_mode_message.js') as { suppress: boolean };
    notice.suppress = true;
    loaded = {
      DynamoDB: require('aws-sdk/clients/dynamodb.js') as typeof DynamoDB,
      peer: require('dynamodb-lock-client') as PeerModule,
    };
  }
  return loaded;
}

/** The peer's key schema: one HASH key `id` (S), as its README's CloudFormation template. */
export const PEER_PARTITION_KEY = 'id';

/** Lease settings of the peer, in its own option names' units. */
export interface PeerLockOptions {
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  /** Times a refused conditional put is retried (re-read, wait, put). @default 1_000_000 */
  readonly retryCount?: number;
  /**
   * `failOpen` (leases and heartbeats, fencing tokens) or `failClosed` (no lease and no heartbeat:
   * a lock row that stays until released; a waiter retries its put every `acquirePeriodMs`).
   * @default 'failOpen'
   */
  readonly mode?: 'failOpen' | 'failClosed';
  /**
   * FailOpen only: a waiter sleeps the rest of the holder's lease by its own wall clock (`true`)
   * rather than a whole lease from its read (`false`, the peer's default). Holder and waiters of
   * one lock must agree. @default true
   */
  readonly trustLocalTime?: boolean;
  /** FailClosed only: wait between two puts of a waiter. @default leaseMs / 20 */
  readonly acquirePeriodMs?: number;
  /**
   * Told when each call is sent (`ok` undefined) and when it completes (`ok` true or false), with
   * the time it was sent (epoch ms): the failover holder reports its renewals with it.
   */
  readonly trace?: (operation: string, startedAt: number, ok?: boolean) => void;
}

/**
 * `dynamodb-lock-client` FailOpen locks on a v2 DocumentClient whose every call is counted on
 * `meter`. Capacity: the v2 service is constructed with the bound parameter
 * `ReturnConsumedCapacity: 'TOTAL'` (v2 copies it into every operation that accepts it) and a
 * request hook (`customizeRequests`) reads `ConsumedCapacity` from each response.
 * `trustLocalTime: true`: a waiter sleeps only the rest of the holder's lease, not a whole lease
 * (the peer's faster setting, so the comparison is against its best case).
 *
 * @example
 * ```ts
 * const locks = new PeerLocks({ endpoint, tableName: 'peer', meter, leaseMs: 3000, heartbeatMs: 1000 });
 * const lease = await locks.acquire('job');
 * await lease.release();
 * ```
 */
export class PeerLocks {
  readonly #client: PeerClient;
  readonly service: DynamoDB;
  heartbeatErrors = 0;

  constructor(options: { endpoint: string; tableName: string; meter: Meter } & PeerLockOptions) {
    const { DynamoDB: Service, peer } = load();
    const documentClient = new Service.DocumentClient({ service: peerService(Service, options.endpoint) });
    // The DocumentClient sends through its own copy of the service (same config): hook that one.
    this.service = (documentClient as unknown as { service: DynamoDB }).service;
    meterRequests(this.service, options.meter, options.trace);
    const common = {
      dynamodb: documentClient,
      lockTable: options.tableName,
      partitionKey: PEER_PARTITION_KEY,
      retryCount: options.retryCount ?? 1_000_000,
    };
    this.#client =
      options.mode === 'failClosed'
        ? new peer.FailClosed({
            ...common,
            acquirePeriodMs: options.acquirePeriodMs ?? Math.max(1, Math.round(options.leaseMs / 20)),
          })
        : new peer.FailOpen({
            ...common,
            leaseDurationMs: options.leaseMs,
            heartbeatPeriodMs: options.heartbeatMs,
            trustLocalTime: options.trustLocalTime ?? true,
          });
  }

  /** Acquires `key`, waiting as the peer does (read, sleep the rest of the lease, conditional put). */
  acquire(key: string): Promise<PeerLease> {
    return new Promise((resolve, reject) => {
      this.#client.acquireLock(key, (error, lock) => {
        if (error) return reject(error);
        lock.on('error', () => {
          this.heartbeatErrors++;
        });
        resolve(new PeerLease(lock));
      });
    });
  }
}

/** A held peer lock with a promise-returning `release`. */
export class PeerLease {
  readonly #lock: PeerLock;

  constructor(lock: PeerLock) {
    this.#lock = lock;
  }

  /** The fencing token (FailOpen); FailClosed locks have none (0). */
  get token(): number {
    return this.#lock.fencingToken ?? 0;
  }

  release(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#lock.release((error) => (error ? reject(error) : resolve()));
    });
  }
}

interface Hookable {
  customizeRequests(handler: (request: Request<unknown, AWSError> & { operation: string }) => void): void;
}

const keepAlive = new Agent({ keepAlive: true });

function peerService(Service: typeof DynamoDB, endpoint: string): DynamoDB {
  return new Service({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'dynastore', secretAccessKey: 'local' },
    // same retry budget as the v3 client of dynastore (3 attempts), and a keep-alive agent as v3 has by default
    maxRetries: 2,
    httpOptions: { agent: keepAlive },
    params: { ReturnConsumedCapacity: 'TOTAL' },
  });
}

function meterRequests(service: DynamoDB, meter: Meter, trace?: PeerLockOptions['trace']): void {
  // `customizeRequests` (v2, untyped): called with every request this service makes, before it is sent.
  (service as unknown as Hookable).customizeRequests((request) => {
    const operation = request.operation.charAt(0).toUpperCase() + request.operation.slice(1);
    const startedAt = epochNow();
    trace?.(operation, startedAt);
    request.on('complete', (response: Response<unknown, AWSError>) => {
      trace?.(operation, startedAt, !response.error);
      const data = response.data as { ConsumedCapacity?: { CapacityUnits?: number } } | null;
      const units = data?.ConsumedCapacity?.CapacityUnits;
      const isRead = operation === 'GetItem' || operation === 'Query' || operation === 'Scan';
      const failedCondition =
        (response.error as { code?: string } | null)?.code === 'ConditionalCheckFailedException';
      meter.record({
        operation,
        ...(units !== undefined && (isRead ? { readUnits: units } : { writeUnits: units })),
        failedCondition,
        failed: Boolean(response.error),
        startedAt,
      });
    });
  });
}
