import { ValidationError } from '../contract/errors/store.js';
import {
  checkDuration,
  checkFunction,
  checkInteger,
  checkName,
  Limits,
  resolveOptions,
} from '../contract/validate.js';
import { checkPrefix, rowPartition } from '../lock/internal.js';
import type { ShardLease } from './types.js';

/**
 * Options of `store.workGroup(name, options)`.
 *
 * @example
 * ```ts
 * const group = store.workGroup('encoders', { shards: 64 });
 * ```
 */
export interface WorkGroupOptions {
  /**
   * How many shards the work is cut into (numbered 0 to shards - 1), 1 to 10 000; every member
   * must use the same. Required to `join`; without it, `members()`, `observe()` and
   * `assignment()` work from what the live members publish (for tools that only look).
   */
  shards?: number;
  /**
   * The tenant prefix of the group's rows: the member keys' partition is
   * `<prefix>_workgroups/<name>` and shard `n`'s lock row `<prefix>_lock/_workgroups/<name>/shards/<n>`,
   * so an IAM `dynamodb:LeadingKeys` condition on `<prefix>*` confines the group. Members must join
   * with sessions of the same prefix (`store.session({ prefix })`); another is a `ValidationError`.
   * @default '' (no prefix)
   */
  prefix?: string;
}

/**
 * Options of `group.join(session, options)`.
 *
 * @example
 * ```ts
 * await using member = await group.join(session, { id: 'w1', onShard: async (shard, lease) => work(shard, lease.signal) });
 * ```
 */
export interface JoinOptions {
  /** The member's id in the group (unique among live members). @default the session's owner */
  id?: string;
  /**
   * Runs each time the member gets a shard, while it holds it; `lease.signal` aborts when the work
   * must stop, and the shard is released only once the returned promise has settled (or after
   * `stopTimeoutMs`). A rejection that is not the answer to an aborted signal ends the member:
   * `member.signal` aborts with it and `leave()` rejects with it.
   */
  onShard: (shard: number, lease: ShardLease) => Promise<void> | void;
  /**
   * How long a shard's `onShard` work may take to stop after its signal aborted before the shard
   * is released anyway (fenced writes of the late work are then refused once another member holds
   * it); `leave()` then rejects with an error naming the shards.
   * @default 30_000
   */
  stopTimeoutMs?: number;
}

/** Most shards a group may have. */
export const MAX_SHARDS = 10_000;

/**
 * Validates the options of `store.workGroup`, and that every row the group may write fits
 * DynamoDB's key limits under the prefix (the member keys' partition, and the partition key of
 * the lock of the highest shard the group may have), before anything is written.
 *
 * @example
 * ```ts
 * resolveWorkGroupOptions('encoders', { shards: 64 }); // { shards: 64, prefix: '' }
 * ```
 */
export function resolveWorkGroupOptions(
  name: string,
  options: WorkGroupOptions | undefined,
): { shards: number | undefined; prefix: string } {
  checkName('workGroup.name', name, Limits.keyBytes - 64);
  const o = resolveOptions('workGroup', options, { shards: undefined as number | undefined, prefix: '' });
  const prefix = checkPrefix('workGroup.prefix', o.prefix);
  const shards =
    o.shards === undefined
      ? undefined
      : checkInteger('workGroup.shards', o.shards, { min: 1, max: MAX_SHARDS });
  const partition = `${prefix}${WORK_GROUP_MARKER}${name}`;
  const bytes = Buffer.byteLength(partition, 'utf8');
  if (bytes > Limits.partitionBytes)
    throw new ValidationError(
      'workGroup.prefix',
      `work group "${name}": its member keys' partition would be ${bytes} bytes in UTF-8; the limit is ${Limits.partitionBytes} (shorten the prefix or the name)`,
    );
  // the longest shard lock key (a group opened only to look at it may meet any shard count)
  rowPartition(
    'lock',
    prefix,
    `${WORK_GROUP_MARKER}${name}/shards/${(shards ?? MAX_SHARDS) - 1}`,
    'workGroup',
  );
  return { shards, prefix };
}

/** What the rows of every work group start with, after the prefix. */
export const WORK_GROUP_MARKER = '_workgroups/';

/**
 * Validates the options of `group.join`.
 *
 * @example
 * ```ts
 * resolveJoinOptions({ onShard: async () => {} }, 'host:1:abc');
 * ```
 */
export function resolveJoinOptions(
  options: JoinOptions,
  owner: string,
): { id: string; onShard: JoinOptions['onShard']; stopTimeoutMs: number } {
  if (options === undefined || options === null || typeof options !== 'object')
    throw new ValidationError('join.onShard', 'is required');
  const o = resolveOptions('join', options, {
    id: owner as string,
    onShard: undefined as JoinOptions['onShard'] | undefined,
    stopTimeoutMs: 30_000,
  });
  if (o.onShard === undefined) throw new ValidationError('join.onShard', 'is required');
  return {
    id: checkName('join.id', o.id, 512),
    onShard: checkFunction<JoinOptions['onShard']>('join.onShard', o.onShard),
    stopTimeoutMs: checkDuration('join.stopTimeoutMs', o.stopTimeoutMs),
  };
}
