import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { CallListener } from '../../contract/backend.js';
import { systemClock } from '../../contract/clock/system.js';
import type { Clock } from '../../contract/clock/types.js';
import { ValidationError } from '../../contract/errors/store.js';
import type { AttributeNames } from '../../contract/names.js';
import type { Telemetry } from '../../contract/telemetry.js';
import {
  checkDuration,
  checkFunction,
  checkShape,
  MAX_TIMER_MS,
  resolveOptions,
} from '../../contract/validate.js';

/**
 * Tuning of the DynamoDB Streams poller (what `Dynastore`'s `stream` option takes).
 *
 * Cost: while records flow the poller makes at most `1000 / pollIntervalMs` GetRecords calls per
 * second per open shard (4/s by default); idle, it slows down by doubling its wait up to
 * `idlePollIntervalMs` (1/s per open shard by default, 60 a minute). Add one DescribeStream page
 * per `shardDiscoveryMs` and one GetShardIterator per new shard. There is one poller per table per
 * process, however many watchers, and none at all while nobody watches.
 *
 * @example
 * ```ts
 * const store = new Dynastore({ client, tableName, stream: { idlePollIntervalMs: 2_000 } });
 * ```
 */
export interface StreamPollOptions {
  /**
   * Client for the DynamoDB Streams API. When omitted, one is made from the DynamoDB client's
   * region, credentials and request handler; it follows the DynamoDB client's endpoint however
   * that was set (in code, `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL`, the shared config
   * file) unless it is an AWS host, and `AWS_ENDPOINT_URL_DYNAMODB_STREAMS` wins over it. Pass one
   * when your Streams live anywhere else.
   */
  readonly streamsClient?: StreamsClient;
  /** Wait between polls while records arrive. @default 250 */
  readonly pollIntervalMs?: number;
  /**
   * Longest wait between polls when nothing arrives; the wait doubles from `pollIntervalMs` up to
   * it. At most 5 minutes (shard iterators expire after 15). @default 1_000
   */
  readonly idlePollIntervalMs?: number;
  /** How long the poller keeps going after the last watcher leaves (a quick re-subscribe reuses it); at most 2^31-1. @default 2_000 */
  readonly lingerMs?: number;
  /** How often to list the stream's shards to find new ones (at most 2^31-1); a shard that ends triggers a listing at once. @default 60_000 */
  readonly shardDiscoveryMs?: number;
  /**
   * How long failing Streams calls are retried (backoff with jitter) before watchers get the
   * error. A throttled GetRecords is not a failure: it slows the poller's pace (changes arrive
   * late, none is lost) and never ends the watch. At most 2^31-1. @default 60_000
   */
  readonly retryForMs?: number;
}

/**
 * Everything {@link createStreamFeed} needs: the table, and the poller's tuning.
 *
 * @example
 * ```ts
 * createStreamFeed({ client, tableName: 'dynastore', names: defaultAttributeNames, clock: systemClock });
 * ```
 */
export interface StreamFeedOptions extends StreamPollOptions {
  /** The caller's client; used for DescribeTable, never destroyed. */
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly names: AttributeNames;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Receives one event per Streams call (`DescribeTable`, `DescribeStream`, `GetShardIterator`, `GetRecords`). */
  readonly onCall?: CallListener;
  /** Where `dynastore.watch.lag` is recorded (the store's OpenTelemetry reporting). */
  readonly telemetry?: Telemetry;
}

/**
 * A DynamoDB Streams client: a `DynamoDBStreamsClient` of `@aws-sdk/client-dynamodb-streams`.
 * Typed by its `send` method only, so that dynastore's types do not need that package (an
 * optional peer dependency, needed only to watch a DynamoDB table).
 *
 * @example
 * ```ts
 * import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
 * const streamsClient: StreamsClient = new DynamoDBStreamsClient({ region: 'eu-west-1' });
 * ```
 */
export interface StreamsClient {
  /** The client's `send`: dynastore sends it DescribeStream, GetShardIterator and GetRecords. */
  readonly send: (...args: never[]) => Promise<unknown>;
}

const MAX_IDLE_MS = 5 * 60_000;

/** {@link StreamFeedOptions} with defaults filled in and values checked. */
export interface ResolvedFeedOptions {
  readonly client: DynamoDBClient;
  readonly streamsClient: DynamoDBStreamsClient | undefined;
  readonly tableName: string;
  readonly names: AttributeNames;
  readonly clock: Clock;
  readonly onCall: CallListener | undefined;
  readonly telemetry: Telemetry | undefined;
  readonly pollIntervalMs: number;
  readonly idlePollIntervalMs: number;
  readonly lingerMs: number;
  readonly shardDiscoveryMs: number;
  readonly retryForMs: number;
}

/**
 * Fills defaults and validates; unknown option names are a `ValidationError`.
 *
 * @example
 * ```ts
 * const o = resolveFeedOptions({ client, tableName: 't', names: defaultAttributeNames });
 * ```
 */
export function resolveFeedOptions(options: StreamFeedOptions): ResolvedFeedOptions {
  const o = resolveOptions('stream', options, {
    client: undefined as DynamoDBClient | undefined,
    streamsClient: undefined as StreamsClient | undefined,
    tableName: undefined as string | undefined,
    names: undefined as AttributeNames | undefined,
    clock: systemClock as Clock,
    onCall: undefined as CallListener | undefined,
    telemetry: undefined as Telemetry | undefined,
    pollIntervalMs: 250,
    idlePollIntervalMs: 1_000,
    lingerMs: 2_000,
    shardDiscoveryMs: 60_000,
    retryForMs: 60_000,
  });
  if (!o.client || typeof o.client.send !== 'function')
    throw new ValidationError('stream.client', 'a DynamoDBClient is required');
  if (o.streamsClient !== undefined && typeof o.streamsClient.send !== 'function') {
    throw new ValidationError('stream.streamsClient', 'must be a DynamoDBStreamsClient');
  }
  if (typeof o.tableName !== 'string' || o.tableName === '')
    throw new ValidationError('stream.tableName', 'is required');
  if (!o.names) throw new ValidationError('stream.names', 'is required');
  checkDuration('stream.pollIntervalMs', o.pollIntervalMs, { max: MAX_IDLE_MS });
  checkDuration('stream.idlePollIntervalMs', o.idlePollIntervalMs, { max: MAX_IDLE_MS });
  if (o.idlePollIntervalMs < o.pollIntervalMs) {
    throw new ValidationError(
      'stream.idlePollIntervalMs',
      `must be at least pollIntervalMs (${o.pollIntervalMs})`,
    );
  }
  checkDuration('stream.lingerMs', o.lingerMs, { allowZero: true, max: MAX_TIMER_MS });
  checkDuration('stream.shardDiscoveryMs', o.shardDiscoveryMs, { max: MAX_TIMER_MS });
  checkDuration('stream.retryForMs', o.retryForMs, { allowZero: true, max: MAX_TIMER_MS });
  checkShape('stream.clock', o.clock, ['now', 'monotonic', 'setTimeout', 'sleep'], 'a Clock');
  if (o.onCall !== undefined) checkFunction('stream.onCall', o.onCall);
  return {
    ...o,
    client: o.client,
    // checked above to have a send method; the caller passes a DynamoDBStreamsClient
    streamsClient: o.streamsClient as DynamoDBStreamsClient | undefined,
    tableName: o.tableName,
    names: o.names,
  };
}
