import { ValidationError } from '../contract/errors/store.js';
import { type LockOptions, type ResolvedLockOptions, resolveLockOptions } from '../lock/index.js';
import { lockOptionNames } from '../lock/internal.js';

/**
 * Options of `store.election(name, options)`: the timing of the lock underneath, validated the
 * same way (an inconsistent combination is a `ValidationError` at construction). The candidate id
 * given to `campaign` is the lock's owner.
 *
 * @example
 * ```ts
 * const election = store.election('scheduler', { leaseMs: 5_000, heartbeatMs: 1_000 });
 * ```
 */
export interface ElectionOptions {
  /**
   * How long a leader stays leader without renewing. A crashed leader is replaced about this
   * long (+ 0.5 % rate-drift margin) after its last renewal reached the waiting candidates.
   * @default 10_000
   */
  leaseMs?: number;
  /**
   * Renew every this many ms (`2 * heartbeatMs < leaseMs`). `false`: the leader renews by hand
   * with `leadership.renew()` (AWS Lambda).
   * @default leaseMs / 3
   */
  heartbeatMs?: number | false;
  /** The largest wall-clock difference between candidates; below `leaseMs`. @default 1_000 */
  maxClockSkewMs?: number;
  /**
   * Put the election's row under this prefix: its partition key is `<prefix>_election/<name>`
   * (see `LockOptions.prefix`). Every candidate must use the same prefix.
   * @default '' (no prefix)
   */
  prefix?: string;
  /** How long the row (and its last term) stays after the last leader left. @default 86_400_000 */
  retentionMs?: number;
  /** Longest pause between two reads of a waiting candidate. @default min(1_000, leaseMs / 4) */
  pollMs?: number;
  /** Wake waiting candidates from the change feed when the leader leaves (see the lock option). @default true (false when `heartbeatMs` is false) */
  wakeOnChange?: boolean;
  /**
   * How long `campaign` (and `run`) keep retrying while every store call fails (endpoint
   * unreachable, throttling, 5xx) before rejecting with the last `BackendError`. `Infinity`: until
   * `waitMs` or the signal.
   * @default 30_000
   */
  maxOutageMs?: number;
}

/** The option names {@link ElectionOptions} knows: every lock option but `owner` and `data`. */
const ELECTION_OPTION_NAMES = lockOptionNames.filter((n) => n !== 'owner' && n !== 'data');

/**
 * The election part of resolved lock options (drops `owner` and `data`).
 *
 * @example
 * ```ts
 * electionTiming(resolveElectionOptions({ leaseMs: 2_000 })).leaseMs; // 2000
 * ```
 */
export function electionTiming(resolved: ResolvedLockOptions): Omit<ResolvedLockOptions, 'owner' | 'data'> {
  const { owner: _owner, data: _data, ...timing } = resolved;
  return timing;
}

/**
 * Validates {@link ElectionOptions} and turns them into the options of the lock underneath
 * (`owner` is filled in per campaign).
 *
 * @example
 * ```ts
 * const lockOptions = resolveElectionOptions({ leaseMs: 2_000 });
 * ```
 */
export function resolveElectionOptions(options: ElectionOptions | undefined): ResolvedLockOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new ValidationError('election', 'options must be an object');
  }
  for (const name of Object.keys(options ?? {})) {
    if (!ELECTION_OPTION_NAMES.includes(name)) {
      throw new ValidationError(
        `election.${name}`,
        `unknown option (known: ${ELECTION_OPTION_NAMES.join(', ')})`,
      );
    }
  }
  return resolveLockOptions('election', options as LockOptions | undefined);
}

/**
 * The lock options of one candidate: the election's timing, the candidate id as owner.
 *
 * @example
 * ```ts
 * const o = candidateLockOptions(resolveElectionOptions({}), 'node-1');
 * ```
 */
export function candidateLockOptions(resolved: ResolvedLockOptions, candidateId: string): LockOptions {
  return { ...electionTiming(resolved), owner: candidateId };
}
