/**
 * The store contract: the one interface the lock, election, semaphore and watch code is written
 * against. Two implementations: `DynamoBackend` (src/dynamodb) and `MemoryBackend` (src/memory).
 * A behaviour one shows and the other does not is a bug; test/contract runs on both.
 *
 * Attribute names here are *logical*: `version`, `payload`, `encoding`, `expires` and any extra
 * field name (`owner`, `token`, ...). The DynamoDB backend maps the layout ones to the table's
 * physical names (Go dynastore's by default).
 */

import type { TableUse } from './errors/global-table.js';

/** A value of an extra attribute. `bigint` is stored as a DynamoDB number (exact up to 38 digits). */
export type FieldValue = string | number | bigint | boolean;

/** One row as the backend stores it. `expiresSec` is not checked here: callers decide liveness. */
export interface StoredItem {
  readonly partition: string;
  readonly key: string;
  /** +1 on every write; 1 on the write that created the row (0: a row written without one). */
  readonly version: number;
  readonly payload?: string;
  /**
   * `'base64'` when `payload` holds bytes that dynastore wrote as base64 at this very version.
   * Backends derive it: a marker left behind by a later write of someone else (Go) no longer applies.
   */
  readonly encoding?: 'base64';
  /** Epoch seconds; the table's TTL attribute. */
  readonly expiresSec?: number;
  /** Every other attribute, by name. */
  readonly fields: Readonly<Record<string, FieldValue>>;
  /**
   * Names of other attributes that exist with a type dynastore does not decode (maps, lists, sets,
   * binary, null). They are not in `fields`, but conditions see that they exist.
   */
  readonly opaque?: readonly string[];
  /**
   * Set when a layout attribute holds something dynastore cannot read (another writer's odd
   * type or number): the first such attribute. Such a row reads as `InvalidItemError`.
   */
  readonly invalid?: InvalidAttribute;
}

/**
 * What is wrong with a row another writer left (see {@link StoredItem.invalid}).
 *
 * @example
 * ```ts
 * const bad: InvalidAttribute = { logical: 'expires', attribute: 'expires', reason: 'is a string (S), ...' };
 * ```
 */
export interface InvalidAttribute {
  /** The layout attribute: `version`, `payload`, `encoding`, `expires`, `partition` or `key`. */
  readonly logical: 'version' | 'payload' | 'encoding' | 'expires' | 'partition' | 'key';
  /** Its name in the table (`attributeNames`). */
  readonly attribute: string;
  /** What is wrong, e.g. `is a string (S), not a number of epoch seconds`. */
  readonly reason: string;
}

/** A logical attribute a condition can test. */
export type AttrName = 'version' | 'payload' | 'expires' | `field:${string}`;

/**
 * A condition on the current row, evaluated atomically with the write. Both backends interpret
 * the same tree; the DynamoDB backend compiles it to a ConditionExpression.
 */
export type Condition =
  | { readonly op: 'exists' }
  | { readonly op: 'notExists' }
  | { readonly op: 'attrExists'; readonly attr: AttrName }
  | { readonly op: 'attrNotExists'; readonly attr: AttrName }
  | {
      readonly op: 'cmp';
      readonly attr: AttrName;
      readonly cmp: '=' | '<>' | '<' | '<=' | '>' | '>=';
      readonly value: FieldValue;
    }
  | { readonly op: 'and'; readonly all: readonly Condition[] }
  | { readonly op: 'or'; readonly any: readonly Condition[] }
  | { readonly op: 'not'; readonly cond: Condition };

/**
 * One conditional write to one row (DynamoDB: a single `UpdateItem` with `ADD version :1`).
 * `undefined` in `set` leaves an attribute alone; `null` removes it.
 */
export interface WriteInput {
  readonly partition: string;
  readonly key: string;
  readonly payload?: string | null;
  /**
   * `'base64'`: `payload` holds bytes as base64. The marker is tied to the version this write
   * creates, so a later write by anyone that leaves it alone (Go) turns it off. `null` removes it.
   */
  readonly encoding?: 'base64' | null;
  readonly expiresSec?: number | null;
  readonly fields?: Readonly<Record<string, FieldValue | null>>;
  /** Omitted: unconditional. */
  readonly condition?: Condition;
}

/** One conditional delete of one row (DynamoDB: a single `DeleteItem`). */
export interface DeleteInput {
  readonly partition: string;
  readonly key: string;
  readonly condition?: Condition;
}

/** The outcome of a conditional write: `ok` with the new row, or the row that failed the check. */
export type WriteResult =
  | { readonly ok: true; readonly item: StoredItem }
  | {
      readonly ok: false;
      readonly current: StoredItem | undefined;
      /**
       * The failed check came from a retry of a request that had failed ambiguously (timeout,
       * 5xx): that earlier attempt may have applied the write, and `current` may be newer still.
       */
      readonly ambiguous?: boolean;
    };

/** The outcome of a conditional delete: `ok` with the row it removed (if any), or the row that failed the check. */
export type DeleteResult =
  | { readonly ok: true; readonly previous: StoredItem | undefined }
  | { readonly ok: false; readonly current: StoredItem | undefined };

/** One page of the rows of a partition, in key order, optionally under a key prefix. */
export interface QueryInput {
  readonly partition: string;
  readonly prefix?: string;
  /** Max rows examined in this page (DynamoDB `Limit`). The backend also stops at 1 MB. */
  readonly limit?: number;
  /** Exclusive start: the sort key of the last row of the previous page. */
  readonly after?: string;
  readonly consistent?: boolean;
}

/** The rows of one query page. */
export interface QueryPage {
  readonly items: readonly StoredItem[];
  /** Sort key to pass as `after` for the next page; absent on the last page. */
  readonly lastKey?: string;
}

/** One element of an atomic multi-row write (DynamoDB `TransactWriteItems`). */
export type TransactItem =
  | ({ readonly kind: 'write' } & WriteInput)
  | ({ readonly kind: 'delete' } & DeleteInput)
  | {
      readonly kind: 'check';
      readonly partition: string;
      readonly key: string;
      readonly condition: Condition;
    };

/** Outcome of a transaction: `failed` lists, per item, whether its condition failed. */
export type TransactResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly failed: readonly boolean[];
      readonly current: readonly (StoredItem | undefined)[];
    };

/** One change to one row, as the change feed reports it. */
export interface ChangeRecord {
  readonly type: 'put' | 'delete';
  readonly partition: string;
  readonly key: string;
  /** The row after the change (puts). */
  readonly item?: StoredItem;
  /** The row before the change, when known. */
  readonly previous?: StoredItem;
  /** `expiry`: removed by TTL (DynamoDB's reaper, or the memory backend's), not by a caller. */
  readonly cause: 'write' | 'expiry';
}

/** A listener's handle on the change feed. */
export interface FeedSubscription {
  /**
   * Resolves once the feed's position is fixed: every change committed after this resolves will be
   * delivered. (Changes committed shortly before may be delivered too: callers de-duplicate.)
   * Rejects with the error that ended the subscription if it fails before that.
   */
  readonly ready: Promise<void>;
  /** Stops the deliveries to this listener; the last one to leave stops the feed. */
  unsubscribe(): void;
}

/** Listener-based change feed; the watch layer turns it into Observables. */
export interface ChangeFeed {
  /**
   * Starts delivering every change on the table, shared: one poller however many listeners; it
   * stops when the last one unsubscribes. Per key, changes arrive in commit order.
   * `onError` ends this subscription (no more calls to `onChanges`).
   * `onHealth`, when given, is told `false` when the feed falls behind its source (DynamoDB Streams
   * throttling or failing calls being retried: changes arrive late, none is lost) and `true` once it
   * reads again; a feed that never degrades (the memory backend's) never calls it. Lock waiters use
   * it to poll the table while the feed lags. A listener that passes it relies on prompt delivery:
   * while one is subscribed, a polling feed keeps its busy pace instead of slowing to its idle one.
   */
  subscribe(
    onChanges: (changes: readonly ChangeRecord[]) => void,
    onError: (err: Error) => void,
    onHealth?: (healthy: boolean) => void,
  ): FeedSubscription;
}

/**
 * The store contract.
 *
 * @example
 * ```ts
 * const r = await backend.write({ partition: 'p', key: 'k', payload: 'v', condition: { op: 'notExists' } });
 * if (!r.ok) console.log('exists at version', r.current?.version);
 * ```
 */
export interface Backend {
  /** Short name for messages and metrics: `'dynamodb'` or `'memory'`. */
  readonly kind: string;
  /** Reads one row (`undefined` when absent); `consistent` asks for a strongly consistent read. */
  get(partition: string, key: string, options?: { consistent?: boolean }): Promise<StoredItem | undefined>;
  /** One conditional write of one row. */
  write(input: WriteInput): Promise<WriteResult>;
  /** One conditional delete of one row. */
  delete(input: DeleteInput): Promise<DeleteResult>;
  /** One page of a partition's rows. */
  query(input: QueryInput): Promise<QueryPage>;
  /** An atomic write of several rows: all apply, or none. */
  transact(items: readonly TransactItem[]): Promise<TransactResult>;
  /** The table's change feed (DynamoDB Streams, or the memory backend's in-process feed). */
  changes(): ChangeFeed;
  /**
   * Resolves when the table keeps the guarantee `use` relies on; rejects, before any write, with a
   * `GlobalTableError` when it does not (a DynamoDB global table: see that error), or with the
   * `BackendError` of the look-up. Learnt once and cached. Optional: a backend whose table is never
   * global (the memory backend) omits it. The DynamoDB backend also checks `conditional-write` and
   * `transaction` itself before sending one.
   */
  checkUse?(use: TableUse): Promise<void>;
}

/** One event per backend call, for metrics and cost accounting. */
export interface CallEvent {
  /** The DynamoDB operation name (`UpdateItem`, `GetItem`, `Query`, `GetRecords`, ...). */
  readonly operation: string;
  readonly table: string;
  readonly durationMs: number;
  /** Capacity units consumed, when DynamoDB reported them. */
  readonly consumedCapacity?: {
    readonly readUnits?: number;
    readonly writeUnits?: number;
    readonly total?: number;
  };
  /** The call failed with this error (a failed condition check is an error here too). */
  readonly error?: unknown;
  /**
   * Present when DynamoDB throttled the call, or any attempt of it the SDK retried (the call may
   * still have succeeded): the throttling reasons of those answers in order
   * (`TableWriteKeyRangeThroughputExceeded`, ...), `[]` when they gave none.
   */
  readonly throttleReasons?: readonly string[];
}

/** Receives {@link CallEvent}s; must not throw (exceptions are swallowed). */
export type CallListener = (event: CallEvent) => void;
