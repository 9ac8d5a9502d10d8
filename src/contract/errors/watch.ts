import { DynastoreError, ErrorCode } from './base.js';

/**
 * A watch lost its place in the change stream: records it had not read yet are gone (DynamoDB
 * Streams keeps them 24 hours), or the shard it was reading no longer exists. Changes may have
 * been missed, so the watch ends with this error rather than jumping ahead silently. Subscribe
 * again to get a fresh snapshot.
 *
 * @example
 * ```ts
 * kv.watch('a').pipe(retry({ delay: (err) => (err instanceof WatchCompactedError ? of(0) : throwError(() => err)) }));
 * ```
 */
export class WatchCompactedError extends DynastoreError {
  /** The stream shard whose position was lost, when known. */
  readonly shardId: string | undefined;
  constructor(message: string, options?: { cause?: unknown; shardId?: string }) {
    super(
      ErrorCode.WatchCompacted,
      message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'WatchCompactedError';
    this.shardId = options?.shardId;
  }
}

/**
 * The table has no usable DynamoDB stream (none, disabled, or one without new and old images),
 * so it cannot be watched. Tables made by `createTable` have the right one.
 *
 * @example
 * ```ts
 * kv.watch('a').subscribe({ error: (err) => { if (err instanceof StreamDisabledError) console.error(err.message) } });
 * ```
 */
export class StreamDisabledError extends DynastoreError {
  readonly tableName: string;
  /**
   * The view type of the table's enabled stream when that is the trouble (e.g. `KEYS_ONLY`): it
   * must be disabled before a NEW_AND_OLD_IMAGES one can be turned on. Undefined when the table
   * has no enabled stream.
   */
  readonly viewType: string | undefined;
  constructor(tableName: string, message: string, options?: { cause?: unknown; viewType?: string }) {
    super(
      ErrorCode.StreamDisabled,
      message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'StreamDisabledError';
    this.tableName = tableName;
    this.viewType = options?.viewType;
  }
}
