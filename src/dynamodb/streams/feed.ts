import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { ChangeFeed, ChangeRecord, FeedSubscription } from '../../contract/backend.js';
import type { TimerHandle } from '../../contract/clock/types.js';
import { StreamCalls } from './calls.js';
import { streamsClientFor } from './client.js';
import { type ResolvedFeedOptions, resolveFeedOptions, type StreamFeedOptions } from './options.js';
import { StreamPoller } from './poller.js';
import { loadStreamsSdk } from './sdk.js';

/**
 * The change feed of one DynamoDB table: a {@link ChangeFeed} plus a view of its poller, for
 * tests and shutdown.
 *
 * @example
 * ```ts
 * sub.unsubscribe();
 * await feed.idle(); // after the linger: no poller, no request in flight
 * ```
 */
export interface StreamFeed extends ChangeFeed {
  /** Current listeners. */
  readonly listenerCount: number;
  /** Whether a poller is running (from the first subscribe until the linger after the last one ends). */
  readonly polling: boolean;
  /** Resolves once no poller runs and no Streams request is in flight (wait out or skip the linger first). */
  idle(): Promise<void>;
}

/**
 * How long a feed whose Streams endpoint has never answered (nor DescribeTable, before it) keeps
 * trying before its listeners get the error: a wrong or dead Streams endpoint is an error within
 * seconds, not after `retryForMs` of silence. An endpoint that answers, even with throttling or a
 * 5xx, and any outage once positioned, are retried for `retryForMs`.
 */
export const FIRST_CONTACT_MS = 8_000;

interface Listener {
  readonly onChanges: (changes: readonly ChangeRecord[]) => void;
  readonly onError: (err: Error) => void;
  readonly onHealth: ((healthy: boolean) => void) | undefined;
  closed: boolean;
}

interface Run {
  readonly controller: AbortController;
  readonly positioned: Promise<void>;
  readonly done: Promise<void>;
  /** False while the poller retries calls (throttled, failing): changes arrive late. */
  healthy: boolean;
}

/**
 * The DynamoDB Streams change feed of one table (`DynamoBackend.changes()` makes one per backend).
 * Shared: one poller however many listeners. The first `subscribe` starts it (DescribeTable, then
 * every open shard positioned at LATEST; `ready` resolves when that is done); it stops `lingerMs`
 * after the last listener leaves, aborting any request in flight and leaving no timer. Fatal
 * errors ({@link WatchCompactedError}, {@link StreamDisabledError}, `BackendError` once retries
 * are spent: within {@link FIRST_CONTACT_MS} while the stream was never reached, `retryForMs`
 * after) go to every listener's `onError`, which ends them all; the next `subscribe` starts
 * afresh. A listener that throws is removed and gets its own exception through `onError`.
 *
 * @example
 * ```ts
 * const feed = createStreamFeed({ client, tableName: 'dynastore', names: defaultAttributeNames, clock: systemClock });
 * const sub = feed.subscribe((changes) => console.log(changes), (err) => console.error(err));
 * await sub.ready;
 * // ...
 * sub.unsubscribe();
 * ```
 */
export function createStreamFeed(options: StreamFeedOptions): StreamFeed {
  return new DynamoStreamFeed(resolveFeedOptions(options));
}

class DynamoStreamFeed implements StreamFeed {
  readonly #o: ResolvedFeedOptions;
  readonly #listeners = new Set<Listener>();
  readonly #stopping = new Set<Promise<void>>();
  #streams: Promise<DynamoDBStreamsClient> | undefined;
  #run: Run | undefined;
  #linger: TimerHandle | undefined;

  constructor(options: ResolvedFeedOptions) {
    this.#o = options;
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  get polling(): boolean {
    return this.#run !== undefined || this.#stopping.size > 0;
  }

  async idle(): Promise<void> {
    while (this.#run || this.#stopping.size > 0) {
      await Promise.all([this.#run?.done, ...this.#stopping]);
    }
  }

  subscribe(
    onChanges: (changes: readonly ChangeRecord[]) => void,
    onError: (err: Error) => void,
    onHealth?: (healthy: boolean) => void,
  ): FeedSubscription {
    const listener: Listener = { onChanges, onError, onHealth, closed: false };
    this.#listeners.add(listener);
    this.#linger?.cancel();
    this.#linger = undefined;
    const run = this.#run ?? this.#start();
    if (!run.healthy && onHealth) {
      queueMicrotask(() => {
        if (!listener.closed && this.#run === run && !run.healthy) callSafely(onHealth, false);
      });
    }
    const ready = run.positioned;
    return {
      ready,
      unsubscribe: () => {
        if (!this.#listeners.delete(listener)) return;
        listener.closed = true;
        if (this.#listeners.size === 0) this.#scheduleStop(run);
      },
    };
  }

  #start(): Run {
    const controller = new AbortController();
    const signal = controller.signal;
    let poller: StreamPoller | undefined;
    const positioned = (async () => {
      const o = this.#o;
      const sdk = await loadStreamsSdk();
      const calls = new StreamCalls({
        client: o.client,
        // made after DescribeTable went through the DynamoDB client, whose endpoint it follows
        streams: o.streamsClient ?? (() => this.#streamsClient()),
        firstContactMs: FIRST_CONTACT_MS,
        sdk,
        tableName: o.tableName,
        clock: o.clock,
        onCall: o.onCall,
        retryForMs: o.retryForMs,
        signal,
        onRetry: (err) => poller?.noteRetry(err),
      });
      poller = new StreamPoller({
        calls,
        tableName: o.tableName,
        names: o.names,
        clock: o.clock,
        signal,
        pollIntervalMs: o.pollIntervalMs,
        idlePollIntervalMs: o.idlePollIntervalMs,
        shardDiscoveryMs: o.shardDiscoveryMs,
        ...(o.telemetry && { telemetry: o.telemetry }),
        deliver: (changes) => this.#deliver(run, changes),
        onHealth: (healthy) => this.#health(run, healthy),
        prompt: () => [...this.#listeners].some((l) => !l.closed && l.onHealth !== undefined),
      });
      await poller.position();
      calls.reached();
    })();
    const done = positioned
      .then(() => poller?.run())
      .then(
        () => undefined,
        (err: unknown) => {
          if (!signal.aborted) this.#fail(run, toError(err));
        },
      );
    positioned.catch(() => {
      // reported to every listener through onError by #fail
    });
    const run: Run = { controller, positioned, done, healthy: true };
    this.#run = run;
    return run;
  }

  #streamsClient(): Promise<DynamoDBStreamsClient> {
    if (!this.#streams) {
      this.#streams = streamsClientFor(this.#o.client);
      this.#streams.catch(() => {
        this.#streams = undefined;
      });
    }
    return this.#streams;
  }

  #deliver(run: Run, changes: readonly ChangeRecord[]): void {
    if (this.#run !== run) return;
    for (const listener of [...this.#listeners]) {
      if (listener.closed) continue;
      try {
        listener.onChanges(changes);
      } catch (err) {
        this.#listeners.delete(listener);
        listener.closed = true;
        callSafely(listener.onError, toError(err));
        if (this.#listeners.size === 0) this.#scheduleStop(run);
      }
    }
  }

  #health(run: Run, healthy: boolean): void {
    if (this.#run !== run || run.healthy === healthy) return;
    run.healthy = healthy;
    for (const listener of [...this.#listeners]) {
      if (!listener.closed && listener.onHealth) callSafely(listener.onHealth, healthy);
    }
  }

  #fail(run: Run, err: Error): void {
    if (this.#run !== run) return;
    this.#run = undefined;
    run.controller.abort();
    this.#linger?.cancel();
    this.#linger = undefined;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) {
      listener.closed = true;
      callSafely(listener.onError, err);
    }
  }

  #scheduleStop(run: Run): void {
    if (this.#run !== run) return;
    if (this.#o.lingerMs === 0) {
      this.#stop(run);
      return;
    }
    this.#linger?.cancel();
    this.#linger = this.#o.clock.setTimeout(() => {
      this.#linger = undefined;
      if (this.#listeners.size === 0) this.#stop(run);
    }, this.#o.lingerMs);
  }

  #stop(run: Run): void {
    if (this.#run !== run) return;
    this.#run = undefined;
    run.controller.abort();
    const stopped = run.done.finally(() => {
      this.#stopping.delete(stopped);
    });
    this.#stopping.add(stopped);
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Calls a listener's `onError` / `onHealth`. One that throws has no handler left to report to:
 * its exception is rethrown on a later tick (an uncaught exception, as RxJS does with an error
 * thrown by an error callback), so the other listeners are still told and the bug is not silent.
 */
function callSafely<T>(fn: (arg: T) => void, arg: T): void {
  try {
    fn(arg);
  } catch (err) {
    setTimeout(() => {
      throw err;
    });
  }
}
