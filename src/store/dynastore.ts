import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Backend, CallListener } from '../backend/types.js';
import { systemClock } from '../clock/system.js';
import type { Clock } from '../clock/types.js';
import { DynamoBackend, type DynamoBackendOptions } from '../dynamodb/backend.js';
import { type AttributeNames, defaultAttributeNames } from '../dynamodb/names.js';
import { checkTableName } from '../dynamodb/table-name.js';
import { ValidationError } from '../errors/store.js';
import { Partition } from './partition.js';
import { resolveOptions } from './validate.js';

/** Options of a {@link Dynastore}: a DynamoDB table (`client` + `tableName`) or a `backend`. */
export interface DynastoreOptions {
  /** The DynamoDB client; yours to configure and destroy, never destroyed here. */
  client?: DynamoDBClient;
  /** The table, made with `createTable` (or the CloudFormation in the README). */
  tableName?: string;
  /** Physical attribute names, for tables made by other tools. @default Go dynastore's (`id`, `name`, `version`, `payload`, `expires`) */
  attributeNames?: Partial<AttributeNames>;
  /** Another store implementation, e.g. `new MemoryBackend()`; excludes `client` and `tableName`. */
  backend?: Backend;
  /** The time source of leases and expiry. @default systemClock */
  clock?: Clock;
  /** Receives one event per DynamoDB call (operation, duration, consumed capacity, error). */
  onCall?: CallListener;
  /** Whether reads are strongly consistent unless a call says otherwise. @default true */
  consistentReads?: boolean;
  /** Options of the DynamoDB Streams poller behind `watch` (see the watch docs). */
  stream?: DynamoBackendOptions['stream'];
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
  readonly consistentReads: boolean;

  constructor(options: DynastoreOptions) {
    const o = resolveOptions('Dynastore', options, {
      client: undefined as DynamoDBClient | undefined,
      tableName: undefined as string | undefined,
      attributeNames: undefined as Partial<AttributeNames> | undefined,
      backend: undefined as Backend | undefined,
      clock: systemClock as Clock,
      onCall: undefined as CallListener | undefined,
      consistentReads: true,
      stream: undefined as DynamoBackendOptions['stream'],
    });
    this.clock = o.clock;
    this.consistentReads = o.consistentReads;
    if (o.backend) {
      if (o.client || o.tableName || o.attributeNames || o.stream) {
        throw new ValidationError(
          'Dynastore.backend',
          'excludes client, tableName, attributeNames and stream',
        );
      }
      if (o.onCall) throw new ValidationError('Dynastore.onCall', 'pass onCall to the backend you construct');
      this.backend = o.backend;
      return;
    }
    if (!o.client)
      throw new ValidationError('Dynastore.client', 'is required (a DynamoDBClient), or pass a backend');
    if (o.tableName === undefined) throw new ValidationError('Dynastore.tableName', 'is required');
    this.backend = new DynamoBackend({
      client: o.client,
      tableName: checkTableName(o.tableName),
      names: resolveNames(o.attributeNames),
      clock: o.clock,
      ...(o.onCall && { onCall: o.onCall }),
      ...(o.stream && { stream: o.stream }),
    });
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
}

function resolveNames(names: Partial<AttributeNames> | undefined): AttributeNames {
  const resolved = resolveOptions('attributeNames', names, { ...defaultAttributeNames });
  const seen = new Set<string>();
  for (const [field, value] of Object.entries(resolved)) {
    if (typeof value !== 'string' || value.length === 0)
      throw new ValidationError(`attributeNames.${field}`, 'must be a non-empty string');
    if (seen.has(value)) throw new ValidationError(`attributeNames.${field}`, `"${value}" is used twice`);
    seen.add(value);
  }
  return resolved;
}
