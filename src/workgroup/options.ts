import { ValidationError } from '../contract/errors/store.js';
import {
  checkDuration,
  checkFunction,
  checkInteger,
  checkName,
  Limits,
  resolveOptions,
} from '../contract/validate.js';
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
 * Validates the options of `store.workGroup`.
 *
 * @example
 * ```ts
 * resolveWorkGroupOptions('encoders', { shards: 64 }); // { shards: 64 }
 * ```
 */
export function resolveWorkGroupOptions(
  name: string,
  options: WorkGroupOptions | undefined,
): { shards: number | undefined } {
  checkName('workGroup.name', name, Limits.keyBytes - 64);
  const o = resolveOptions('workGroup', options, { shards: undefined as number | undefined });
  if (o.shards === undefined) return { shards: undefined };
  return { shards: checkInteger('workGroup.shards', o.shards, { min: 1, max: MAX_SHARDS }) };
}

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
