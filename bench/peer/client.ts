import type { EventEmitter } from 'node:events';
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import type DynamoDB from 'aws-sdk/clients/dynamodb.js';
import type { AWSError } from 'aws-sdk/lib/error.js';
import type { Request } from 'aws-sdk/lib/request.js';
import type { Response } from 'aws-sdk/lib/response.js';
import type { Meter } from '../meter.js';

const require = createRequire(import.meta.url);

/** What the benchmark uses of `dynamodb-lock-client` (it ships no types). */
export interface PeerLock extends EventEmitter {
  readonly fencingToken: number;
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

interface FailOpenClient {
  acquireLock(id: string, callback: (error: Error | null | undefined, lock: PeerLock) => void): void;
}

interface PeerModule {
  FailOpen: new (config: FailOpenConfig) => FailOpenClient;
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
  readonly #client: FailOpenClient;
  readonly service: DynamoDB;
  heartbeatErrors = 0;

  constructor(options: { endpoint: string; tableName: string; meter: Meter } & PeerLockOptions) {
    const { DynamoDB: Service, peer } = load();
    const documentClient = new Service.DocumentClient({ service: peerService(Service, options.endpoint) });
    // The DocumentClient sends through its own copy of the service (same config): hook that one.
    this.service = (documentClient as unknown as { service: DynamoDB }).service;
    meterRequests(this.service, options.meter);
    this.#client = new peer.FailOpen({
      dynamodb: documentClient,
      lockTable: options.tableName,
      partitionKey: PEER_PARTITION_KEY,
      leaseDurationMs: options.leaseMs,
      heartbeatPeriodMs: options.heartbeatMs,
      trustLocalTime: true,
      retryCount: options.retryCount ?? 1_000_000,
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

  get token(): number {
    return this.#lock.fencingToken;
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

function meterRequests(service: DynamoDB, meter: Meter): void {
  // `customizeRequests` (v2, untyped): called with every request this service makes, before it is sent.
  (service as unknown as Hookable).customizeRequests((request) => {
    const operation = request.operation.charAt(0).toUpperCase() + request.operation.slice(1);
    request.on('complete', (response: Response<unknown, AWSError>) => {
      const data = response.data as { ConsumedCapacity?: { CapacityUnits?: number } } | null;
      const units = data?.ConsumedCapacity?.CapacityUnits;
      const isRead = operation === 'GetItem' || operation === 'Query' || operation === 'Scan';
      const failedCondition =
        (response.error as { code?: string } | null)?.code === 'ConditionalCheckFailedException';
      meter.record({
        operation,
        ...(units !== undefined && (isRead ? { readUnits: units } : { writeUnits: units })),
        failedCondition,
      });
    });
  });
}
