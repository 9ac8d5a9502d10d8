import {
  DeleteItemCommand,
  type DeleteItemCommandOutput,
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandOutput,
  QueryCommand,
  type QueryCommandOutput,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  type TransactWriteItemsCommandOutput,
  UpdateItemCommand,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type {
  Backend,
  CallListener,
  ChangeFeed,
  DeleteInput,
  DeleteResult,
  QueryInput,
  QueryPage,
  StoredItem,
  TransactItem,
  TransactResult,
  WriteInput,
  WriteResult,
} from '../contract/backend.js';
import { checkStoreInput, checkTransact } from '../contract/check-input.js';
import { systemClock } from '../contract/clock/system.js';
import type { Clock } from '../contract/clock/types.js';
import { DynastoreError } from '../contract/errors/base.js';
import type { TableUse } from '../contract/errors/global-table.js';
import type { AttributeNames } from '../contract/names.js';
import { reportCall } from '../contract/report-call.js';
import type { Telemetry } from '../contract/telemetry.js';
import { buildDelete, buildGet, buildQuery, buildTransact, buildUpdate, type TableRef } from './builders.js';
import { decodeItem, type RawItem } from './codec.js';
import { wrapAwsError } from './errors.js';
import { explainAwsError, type TableTarget } from './explain.js';
import { ambiguousOr, guardResends, type MiddlewareAdder, traceEndpoint } from './retry-guard.js';
import { createStreamFeed, type StreamPollOptions } from './streams/index.js';
import { type GlobalTablePolicy, TableGuard } from './table-mode.js';
import { traceThrottles } from './throttle.js';

/** What the DynamoDB backend (`DynamoBackend`) needs; `Dynastore` resolves it from its own options. */
export interface DynamoBackendOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly names: AttributeNames;
  readonly clock?: Clock;
  readonly onCall?: CallListener;
  /** Options of the Streams poller behind `changes()`. */
  readonly stream?: StreamPollOptions;
  /** What to do on a global table in eventual-consistency mode (see {@link GlobalTablePolicy}). @default 'refuse' */
  readonly globalTable?: GlobalTablePolicy;
  /** Where the Streams poller records `dynastore.watch.lag` (the store's OpenTelemetry reporting). */
  readonly telemetry?: Telemetry;
}

/**
 * The store contract on a DynamoDB table: one request per operation, conditions evaluated by
 * DynamoDB, the current row returned on a failed condition (`ALL_OLD`), capacity reported through
 * `onCall`. The client is the caller's: never destroyed here.
 *
 * @example
 * ```ts
 * const backend = new DynamoBackend({ client, tableName: 'dynastore', names: defaultAttributeNames });
 * ```
 */
export class DynamoBackend implements Backend {
  readonly kind = 'dynamodb';
  readonly #client: DynamoDBClient;
  readonly #ref: TableRef;
  readonly #onCall: CallListener | undefined;
  readonly #options: DynamoBackendOptions;
  readonly #guard: TableGuard;
  #feed: ChangeFeed | undefined;

  constructor(options: DynamoBackendOptions) {
    this.#options = options;
    this.#client = options.client;
    this.#ref = { tableName: options.tableName, names: options.names };
    this.#onCall = options.onCall;
    this.#guard = new TableGuard({
      tableName: options.tableName,
      policy: options.globalTable ?? 'refuse',
      describe: async () => {
        const command = new DescribeTableCommand({ TableName: this.#ref.tableName });
        const out = await this.#send<DescribeTableCommandOutput>('DescribeTable', command, () =>
          this.#client.send(command),
        );
        return out.Table;
      },
    });
  }

  /**
   * Whether the table keeps the guarantee `use` relies on: one DescribeTable on the first use (its
   * `Replicas` and `MultiRegionConsistency`), then answered from memory. Rejects with a
   * `GlobalTableError` on a global table where `use` is unsafe or unsupported (see
   * `GlobalTablePolicy`). `write` and `delete` with a condition, and `transact`, check it themselves.
   *
   * @example
   * ```ts
   * await backend.checkUse('session'); // GlobalTableError on an MREC or MRSC global table
   * ```
   */
  checkUse(use: TableUse): Promise<void> {
    return this.#guard.check(use) ?? Promise.resolve();
  }

  async get(
    partition: string,
    key: string,
    options: { consistent?: boolean } = {},
  ): Promise<StoredItem | undefined> {
    checkStoreInput({ partition, key });
    const command = new GetItemCommand(buildGet(this.#ref, partition, key, options.consistent !== false));
    const out = await this.#send<GetItemCommandOutput>('GetItem', command, () => this.#client.send(command));
    return out.Item ? this.#decode(out.Item) : undefined;
  }

  async write(input: WriteInput): Promise<WriteResult> {
    checkStoreInput(input);
    const checking = input.condition ? this.#guard.check('conditional-write') : undefined;
    if (checking) await checking; // only until the table's mode is known: no wait after that
    try {
      const command = guarded(new UpdateItemCommand(buildUpdate(this.#ref, input)));
      const out = await this.#send<UpdateItemCommandOutput>('UpdateItem', command, () =>
        this.#client.send(command),
      );
      return { ok: true, item: this.#decode(out.Attributes ?? {}) };
    } catch (err) {
      if (isConditionFailure(err)) return { ok: false, current: this.#decodeOptional(err.Item) };
      throw err instanceof DynastoreError ? err : wrapAwsError('UpdateItem', err);
    }
  }

  async delete(input: DeleteInput): Promise<DeleteResult> {
    checkStoreInput(input);
    const checking = input.condition ? this.#guard.check('conditional-write') : undefined;
    if (checking) await checking; // only until the table's mode is known: no wait after that
    try {
      const command = guarded(new DeleteItemCommand(buildDelete(this.#ref, input)));
      const out = await this.#send<DeleteItemCommandOutput>('DeleteItem', command, () =>
        this.#client.send(command),
      );
      return { ok: true, previous: this.#decodeOptional(out.Attributes) };
    } catch (err) {
      if (isConditionFailure(err)) return { ok: false, current: this.#decodeOptional(err.Item) };
      throw err instanceof DynastoreError ? err : wrapAwsError('DeleteItem', err);
    }
  }

  async query(input: QueryInput): Promise<QueryPage> {
    checkStoreInput(input);
    const command = new QueryCommand(buildQuery(this.#ref, input));
    const out = await this.#send<QueryCommandOutput>('Query', command, () => this.#client.send(command));
    const items = (out.Items ?? []).map((raw) => this.#decode(raw));
    const lastKey = out.LastEvaluatedKey?.[this.#ref.names.key]?.S;
    return { items, ...(lastKey !== undefined && { lastKey }) };
  }

  async transact(items: readonly TransactItem[]): Promise<TransactResult> {
    checkTransact(items);
    const checking = this.#guard.check('transaction');
    if (checking) await checking;
    try {
      const command = new TransactWriteItemsCommand({
        TransactItems: buildTransact(this.#ref, items),
        ReturnConsumedCapacity: 'TOTAL',
      });
      await this.#send<TransactWriteItemsCommandOutput>('TransactWriteItems', command, () =>
        this.#client.send(command),
      );
      return { ok: true };
    } catch (err) {
      const reasons = cancellationReasons(err);
      if (reasons?.some((r) => r.Code === 'ConditionalCheckFailed')) {
        return {
          ok: false,
          failed: items.map((_, i) => reasons[i]?.Code === 'ConditionalCheckFailed'),
          current: items.map((_, i) => this.#decodeOptional(reasons[i]?.Item)),
        };
      }
      throw err instanceof DynastoreError ? err : wrapAwsError('TransactWriteItems', err);
    }
  }

  /**
   * One element of a `TransactWriteItems` on this table, built like `transact` builds it. For a
   * `lease.guard()` that is a `ConditionCheck` on the lock row: add it to your own transactions
   * (on other tables too) to fence them. See `toTransactWriteItem`.
   *
   * @example
   * ```ts
   * const check = backend.transactWriteItem(lease.guard()); // { ConditionCheck: { ... } }
   * ```
   */
  transactWriteItem(item: TransactItem): TransactWriteItem {
    checkStoreInput(item);
    const [built] = buildTransact(this.#ref, [item]);
    if (!built) throw new Error('unreachable: buildTransact returns one element per item');
    return built;
  }

  changes(): ChangeFeed {
    this.#feed ??= createStreamFeed({
      ...this.#options.stream,
      client: this.#client,
      tableName: this.#ref.tableName,
      names: this.#ref.names,
      clock: this.#options.clock ?? systemClock,
      ...(this.#onCall && { onCall: this.#onCall }),
      ...(this.#options.telemetry && { telemetry: this.#options.telemetry }),
    });
    return this.#feed;
  }

  /** The table, for error messages that name it (and explain a key schema mismatch). */
  get #explainTarget(): TableTarget {
    return { client: this.#client, tableName: this.#ref.tableName, names: this.#ref.names };
  }

  #decode(raw: RawItem): StoredItem {
    return decodeItem(raw, this.#ref.names);
  }

  #decodeOptional(raw: RawItem | undefined): StoredItem | undefined {
    return raw && Object.keys(raw).length > 0 ? this.#decode(raw) : undefined;
  }

  /**
   * Sends `command` (through `call`), reports it to `onCall`, and turns a failure into a
   * `BackendError` (a failed condition passes through) that names the endpoint when nothing answered.
   */
  async #send<O extends { ConsumedCapacity?: Capacity | Capacity[] } | DescribeTableCommandOutput>(
    operation: string,
    command: { middlewareStack: unknown },
    call: () => Promise<O>,
  ): Promise<O> {
    const target = traceEndpoint(command.middlewareStack as MiddlewareAdder);
    const throttles = traceThrottles(command.middlewareStack as MiddlewareAdder);
    const started = performance.now();
    try {
      const out = await call();
      this.#report(
        operation,
        started,
        throttles,
        capacityOf(operation, 'ConsumedCapacity' in out ? out.ConsumedCapacity : undefined),
      );
      return out;
    } catch (err) {
      const error = ambiguousOr(err, operation);
      this.#report(operation, started, throttles, undefined, error);
      if (isConditionFailure(error) || cancellationReasons(error)) throw error;
      throw await explainAwsError(this.#explainTarget, operation, error, target.url);
    }
  }

  #report(
    operation: string,
    started: number,
    throttles: { readonly attempts: number; readonly reasons: readonly string[] },
    capacity: { total: number; readUnits?: number; writeUnits?: number } | undefined,
    error?: unknown,
  ): void {
    reportCall(this.#onCall, () => ({
      operation,
      table: this.#ref.tableName,
      durationMs: performance.now() - started,
      ...(capacity && { consumedCapacity: capacity }),
      ...(error !== undefined && { error }),
      ...(throttles.attempts > 0 && { throttleReasons: [...throttles.reasons] }),
    }));
  }
}

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

/** `ReturnConsumedCapacity: TOTAL` gives only a total; its kind follows from the operation. */
function capacityOf(operation: string, c: Capacity | Capacity[] | undefined) {
  if (!c) return undefined;
  const list = Array.isArray(c) ? c : [c];
  const total = list.reduce((acc, x) => acc + (x.CapacityUnits ?? 0), 0);
  return READS.has(operation) ? { total, readUnits: total } : { total, writeUnits: total };
}

/** A write command whose resends are limited to attempts that certainly did not apply. */
function guarded<C extends { middlewareStack: unknown }>(command: C): C {
  guardResends(command.middlewareStack as MiddlewareAdder);
  return command;
}

function isConditionFailure(err: unknown): err is { name: string; Item?: RawItem } {
  return (err as { name?: string })?.name === 'ConditionalCheckFailedException';
}

function cancellationReasons(err: unknown): { Code?: string; Item?: RawItem }[] | undefined {
  const e = err as { name?: string; CancellationReasons?: { Code?: string; Item?: RawItem }[] };
  return e?.name === 'TransactionCanceledException' ? (e.CancellationReasons ?? []) : undefined;
}
