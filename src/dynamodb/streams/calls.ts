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
import { BackendError } from '../../contract/errors/store.js';
import { reportCall } from '../../contract/report-call.js';
import { retry } from '../../contract/retry.js';
import { isConnectFailure, isRetryableAwsError, setupHint, wrapAwsError } from '../errors.js';
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
  /**
   * The Streams client, or how to make it: asked on the first Streams call, after `DescribeTable`
   * went through `client` (older SDKs resolve a configured endpoint only on a client's first call).
   */
  readonly streams: DynamoDBStreamsClient | (() => Promise<DynamoDBStreamsClient>);
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
  /**
   * Until {@link StreamCalls.reached} is called, every call (retries included) ends within this
   * many ms of the first one, whatever `retryForMs` says: a stream never reached is an error
   * within seconds, not after a minute of silence. @default no such limit
   */
  readonly firstContactMs?: number;
}

/**
 * What a watch that never reached its stream says, after the error: where the Streams endpoint
 * comes from and how to set another one.
 */
const NEVER_REACHED =
  "the stream was never reached (the Streams client follows the DynamoDB client's endpoint; AWS_ENDPOINT_URL_DYNAMODB_STREAMS or the stream.streamsClient option sets another one)";

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
  #streams: Promise<DynamoDBStreamsClient> | undefined;
  /** Monotonic time by which the stream must be reached (undefined: reached, or no such limit). */
  #contactBy: number | undefined;

  constructor(deps: StreamCallsDeps) {
    this.#d = deps;
    if (deps.firstContactMs !== undefined) this.#contactBy = deps.clock.monotonic() + deps.firstContactMs;
  }

  /** The stream has answered (the poller is positioned): from now on only `retryForMs` limits retries. */
  reached(): void {
    this.#contactBy = undefined;
  }

  /** The Streams client, made once (a failure to make it is not cached). */
  #client(): Promise<DynamoDBStreamsClient> {
    const streams = this.#d.streams;
    if (typeof streams !== 'function') return Promise.resolve(streams);
    if (!this.#streams) {
      const made = streams();
      this.#streams = made;
      made.catch(() => {
        if (this.#streams === made) this.#streams = undefined;
      });
    }
    return this.#streams;
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
      const out: DescribeStreamCommandOutput = await this.#call(
        'DescribeStream',
        async (abortSignal, traced) =>
          (await this.#client()).send(
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
    const out = await this.#call('GetShardIterator', async (abortSignal, traced) =>
      (await this.#client()).send(
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
      async (abortSignal, traced) =>
        (await this.#client()).send(
          traced(new this.#d.sdk.GetRecordsCommand({ ShardIterator: iterator, Limit: RECORDS_PER_CALL })),
          { abortSignal },
        ),
      (err) => !isThrottling(err) && isRetryableAwsError(err),
    );
  }

  /**
   * One call with retries. A connect failure is thrown as an `unreachable` BackendError naming the
   * endpoint (`traced` records where each command is sent); other errors as the SDK raised them.
   * Until the Streams endpoint first answers (any response, even an error such as throttling:
   * {@link reached}), the retries and an attempt that hangs end by the first-contact deadline,
   * and the error then says the stream was never reached; once it answered, `retryForMs` applies.
   */
  async #call<T>(
    operation: string,
    send: (signal: AbortSignal, traced: <C extends Traceable>(c: C) => C) => Promise<T>,
    retryable: (err: unknown) => boolean = isRetryableAwsError,
  ): Promise<T> {
    const { clock, signal } = this.#d;
    const streamsCall = operation !== 'DescribeTable';
    const started = clock.monotonic();
    let target: { readonly url: string | undefined } | undefined;
    let throttles: ThrottleTrace | undefined;
    /** The endpoint answered this call at least once (with an error): it is not silent. */
    let heard = false;
    const attempt = async () => {
      signal.throwIfAborted();
      const sent = clock.monotonic();
      const traced = <C extends Traceable>(command: C): C => {
        target = traceEndpoint(command.middlewareStack as MiddlewareAdder);
        throttles = traceThrottles(command.middlewareStack as MiddlewareAdder);
        return command;
      };
      const by = this.#contactBy;
      const deadline = by === undefined ? undefined : new AbortController();
      const timer = deadline && clock.setTimeout(() => deadline.abort(), Math.max(0, (by ?? sent) - sent));
      try {
        const out = await send(deadline ? AbortSignal.any([signal, deadline.signal]) : signal, traced);
        this.#report(operation, sent, throttles);
        if (streamsCall) this.reached();
        return out;
      } catch (err) {
        if (!signal.aborted) this.#report(operation, sent, throttles, err);
        if (signal.aborted) throw err;
        if (deadline?.signal.aborted) {
          const late = new BackendError(
            operation,
            `no answer from ${target?.url ?? 'the endpoint'} within ${this.#d.firstContactMs} ms`,
            true,
            { cause: err },
          );
          TIMED_OUT.add(late);
          throw late;
        }
        if (answered(err)) {
          heard = true;
          if (streamsCall) this.reached();
        }
        if (isConnectFailure(err)) throw wrapAwsError(operation, err, target?.url);
        // the DynamoDB table itself (missing, no region, no credentials): named, with where it was looked for
        if (!streamsCall && setupHint(err, target?.url, { table: this.#d.tableName })) {
          throw wrapAwsError(operation, err, target?.url, { table: this.#d.tableName });
        }
        throw err;
      } finally {
        timer?.cancel();
      }
    };
    const options = (budgetMs: number) => ({
      clock,
      signal,
      budgetMs: Math.max(0, budgetMs),
      retryable,
      ...(this.#d.onRetry && { onRetry: this.#d.onRetry }),
    });
    const by = this.#contactBy;
    if (by === undefined) return retry(attempt, options(this.#d.retryForMs));
    try {
      return await retry(attempt, options(Math.min(this.#d.retryForMs, by - started)));
    } catch (err) {
      if (signal.aborted) throw err;
      const left = this.#d.retryForMs - (clock.monotonic() - started);
      // the endpoint answered meanwhile (throttled, 5xx): go on retrying within retryForMs
      if ((heard || this.#contactBy === undefined) && retryable(err) && left > 0) {
        return retry(attempt, options(left));
      }
      throw streamsCall ? neverReached(operation, err) : err;
    }
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

/**
 * The error of a Streams call made before the stream was ever reached: when nothing answered at
 * the endpoint (or not in time), the `BackendError` also says where the Streams endpoint comes
 * from. Other errors (refusals, which the poller translates by name) pass through.
 */
function neverReached(operation: string, err: unknown): unknown {
  if (!(err instanceof BackendError) || !(err.unreachable || TIMED_OUT.has(err))) return err;
  const message = err.message.startsWith(`${operation}: `)
    ? err.message.slice(operation.length + 2)
    : err.message;
  return new BackendError(operation, `${message}; ${NEVER_REACHED}`, err.retryable, {
    cause: err.cause,
    unreachable: err.unreachable,
  });
}

/** The errors {@link StreamCalls} made for an attempt the first-contact deadline cut short. */
const TIMED_OUT = new WeakSet<BackendError>();

/** Whether `err` is a response of the server (an HTTP status came back), not a failure to get one. */
function answered(err: unknown): boolean {
  return (
    typeof (err as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode ===
    'number'
  );
}
