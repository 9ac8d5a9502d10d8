import {
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type {
  DescribeStreamCommandOutput,
  DynamoDBStreamsClient,
  GetRecordsCommandOutput,
  Shard,
  ShardIteratorType,
  StreamDescription,
} from '@aws-sdk/client-dynamodb-streams';
import type { CallListener } from '../../contract/backend.js';
import type { Clock } from '../../contract/clock/types.js';
import { reportCall } from '../../contract/report-call.js';
import { retry } from '../../contract/retry.js';
import { isConnectFailure, isRetryableAwsError, wrapAwsError } from '../errors.js';
import { type MiddlewareAdder, traceEndpoint } from '../retry-guard.js';
import { type ThrottleTrace, traceThrottles } from '../throttle.js';
import type { StreamsSdk } from './sdk.js';

/** An SDK command, whose middleware stack can take the endpoint tracer. */
interface Traceable {
  readonly middlewareStack: unknown;
}

/** The errors with which DynamoDB Streams says: too many calls (per shard: about 5 GetRecords a second across its readers). */
const THROTTLING = new Set([
  'LimitExceededException',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
]);

/**
 * Whether `err` is DynamoDB Streams refusing a call for the rate of calls (not a failure).
 *
 * @example
 * ```ts
 * if (isThrottling(err)) paceMs *= 2;
 * ```
 */
export function isThrottling(err: unknown): boolean {
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  return typeof name === 'string' && THROTTLING.has(name);
}

/** Most records one GetRecords call may return. */
export const RECORDS_PER_CALL = 1000;

/** What {@link StreamCalls} needs. */
export interface StreamCallsDeps {
  readonly client: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  /** The Streams command classes (the package is loaded lazily). */
  readonly sdk: StreamsSdk;
  readonly tableName: string;
  readonly clock: Clock;
  readonly onCall: CallListener | undefined;
  readonly retryForMs: number;
  /** Aborts every call in flight and every backoff wait. */
  readonly signal: AbortSignal;
  /** Told about every throttled or failed attempt that will be retried. */
  readonly onRetry?: (err: unknown) => void;
}

/** The stream as DescribeStream pages describe it, all pages joined. */
export interface StreamListing {
  readonly status: string | undefined;
  readonly viewType: string | undefined;
  readonly shards: readonly Shard[];
}

/**
 * The four calls the poller makes, each reported through `onCall`, aborted by the poller's
 * signal, and retried with backoff and jitter while the error is transient (throttling, 5xx,
 * network) and the `retryForMs` budget lasts. Other errors are thrown as the SDK raised them.
 *
 * @example
 * ```ts
 * const calls = new StreamCalls({ client, streams, tableName, clock, onCall, retryForMs: 60_000, signal });
 * const listing = await calls.describeStream(arn);
 * ```
 */
export class StreamCalls {
  readonly #d: StreamCallsDeps;

  constructor(deps: StreamCallsDeps) {
    this.#d = deps;
  }

  describeTable(): Promise<DescribeTableCommandOutput> {
    return this.#call('DescribeTable', (abortSignal, traced) =>
      this.#d.client.send(traced(new DescribeTableCommand({ TableName: this.#d.tableName })), {
        abortSignal,
      }),
    );
  }

  /** Every shard, following `LastEvaluatedShardId` across pages. */
  async describeStream(streamArn: string): Promise<StreamListing> {
    const shards: Shard[] = [];
    let description: StreamDescription | undefined;
    let start: string | undefined;
    do {
      const out: DescribeStreamCommandOutput = await this.#call('DescribeStream', (abortSignal, traced) =>
        this.#d.streams.send(
          traced(
            new this.#d.sdk.DescribeStreamCommand({
              StreamArn: streamArn,
              Limit: 100,
              ...(start && { ExclusiveStartShardId: start }),
            }),
          ),
          { abortSignal },
        ),
      );
      description = out.StreamDescription;
      shards.push(...(description?.Shards ?? []));
      start = description?.LastEvaluatedShardId;
    } while (start);
    return { status: description?.StreamStatus, viewType: description?.StreamViewType, shards };
  }

  async getShardIterator(
    streamArn: string,
    shardId: string,
    type: ShardIteratorType,
    sequenceNumber?: string,
  ): Promise<string | undefined> {
    const out = await this.#call('GetShardIterator', (abortSignal, traced) =>
      this.#d.streams.send(
        traced(
          new this.#d.sdk.GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ShardIteratorType: type,
            ...(sequenceNumber !== undefined && { SequenceNumber: sequenceNumber }),
          }),
        ),
        { abortSignal },
      ),
    );
    return out.ShardIterator;
  }

  /**
   * One GetRecords. Throttling ({@link isThrottling}) is thrown at once, not retried here: the
   * poller paces its next cycle instead (see `StreamPoller`), so a throttled reader does not add
   * quick retries to a shard that is already over its limit.
   */
  getRecords(iterator: string): Promise<GetRecordsCommandOutput> {
    return this.#call(
      'GetRecords',
      (abortSignal, traced) =>
        this.#d.streams.send(
          traced(new this.#d.sdk.GetRecordsCommand({ ShardIterator: iterator, Limit: RECORDS_PER_CALL })),
          { abortSignal },
        ),
      (err) => !isThrottling(err) && isRetryableAwsError(err),
    );
  }

  /**
   * One call with retries. A connect failure is thrown as an `unreachable` BackendError naming the
   * endpoint (`traced` records where each command is sent); other errors as the SDK raised them.
   */
  #call<T>(
    operation: string,
    send: (signal: AbortSignal, traced: <C extends Traceable>(c: C) => C) => Promise<T>,
    retryable: (err: unknown) => boolean = isRetryableAwsError,
  ): Promise<T> {
    const { clock, signal } = this.#d;
    return retry(
      async () => {
        signal.throwIfAborted();
        const started = clock.monotonic();
        let target: { readonly url: string | undefined } | undefined;
        let throttles: ThrottleTrace | undefined;
        const traced = <C extends Traceable>(command: C): C => {
          target = traceEndpoint(command.middlewareStack as MiddlewareAdder);
          throttles = traceThrottles(command.middlewareStack as MiddlewareAdder);
          return command;
        };
        try {
          const out = await send(signal, traced);
          this.#report(operation, started, throttles);
          return out;
        } catch (err) {
          if (!signal.aborted) this.#report(operation, started, throttles, err);
          throw isConnectFailure(err) && !signal.aborted ? wrapAwsError(operation, err, target?.url) : err;
        }
      },
      {
        clock,
        signal,
        budgetMs: this.#d.retryForMs,
        retryable,
        ...(this.#d.onRetry && { onRetry: this.#d.onRetry }),
      },
    );
  }

  #report(operation: string, started: number, throttles: ThrottleTrace | undefined, error?: unknown): void {
    reportCall(this.#d.onCall, () => ({
      operation,
      table: this.#d.tableName,
      durationMs: this.#d.clock.monotonic() - started,
      ...(error !== undefined && { error }),
      ...(throttles && throttles.attempts > 0 && { throttleReasons: [...throttles.reasons] }),
    }));
  }
}
