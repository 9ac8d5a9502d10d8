import { ValidationError } from '../contract/errors/store.js';
import { checkText, Limits } from '../contract/validate.js';

/*
 * Where coordination rows live (the table layout of locks, semaphores, elections and sessions).
 *
 * Each lock, semaphore, election and session has a partition key value of its own:
 *
 *   lock       id = <prefix>_lock/<key>            name = <key>
 *   semaphore  id = <prefix>_semaphore/<key>       name = <key>#<slot>   (its slots share one key)
 *   election   id = <prefix>_election/<name>       name = <name>
 *   session    id = <prefix>_session/<random>      name = the same (the session id is both)
 *
 * DynamoDB serves about 1 000 write units a second per partition key value: with one key per lock,
 * no key carries more than one lock's renewals and grants, so a fleet's coordination traffic spreads
 * over the table instead of throttling on one shared key. The prefix (default none) comes first, so
 * one IAM `dynamodb:LeadingKeys` condition (`StringLike` `tenant-a/*`) confines a tenant to its rows,
 * KV partitions (named by the caller) and coordination rows alike.
 */

/**
 * The kinds of coordination rows, each with its own marker after the prefix.
 *
 * @example
 * ```ts
 * const kind: RowKind = 'semaphore';
 * ```
 */
export type RowKind = 'lock' | 'semaphore' | 'election' | 'session';

/**
 * The marker of each kind: `<prefix><marker><name>` is the row's partition key.
 *
 * @example
 * ```ts
 * ROW_MARKERS.lock; // '_lock/'
 * ```
 */
export const ROW_MARKERS: Readonly<Record<RowKind, string>> = {
  lock: '_lock/',
  semaphore: '_semaphore/',
  election: '_election/',
  session: '_session/',
};

/**
 * Checks a `prefix` option: a well-formed string (empty: no prefix) of at most 2 048 bytes. How
 * long it may be with a given name is checked by {@link rowPartition}: the row's partition key
 * (prefix, marker and name) must fit DynamoDB's 2 048 bytes, and a session's id, which is also its
 * row's sort key, 1 024.
 *
 * @example
 * ```ts
 * checkPrefix('lock.prefix', 'tenant-a/'); // 'tenant-a/'
 * ```
 */
export function checkPrefix(field: string, prefix: unknown): string {
  checkText(field, prefix);
  const bytes = Buffer.byteLength(prefix, 'utf8');
  if (bytes > Limits.partitionBytes)
    throw new ValidationError(field, `is ${bytes} bytes in UTF-8; the limit is ${Limits.partitionBytes}`);
  return prefix;
}

/**
 * The partition key of the row(s) of `kind` named `name` under `prefix`, checked against
 * DynamoDB's partition key limit (2 048 bytes; a session's, which is also its row's sort key,
 * 1 024) before anything is written: too long, it is a `ValidationError` on `<context>.prefix`
 * that names the lock.
 *
 * @example
 * ```ts
 * rowPartition('lock', 'tenant-a/', 'jobs/reindex', 'lock'); // 'tenant-a/_lock/jobs/reindex'
 * ```
 */
export function rowPartition(kind: RowKind, prefix: string, name: string, context: string): string {
  const partition = `${prefix}${ROW_MARKERS[kind]}${name}`;
  const bytes = Buffer.byteLength(partition, 'utf8');
  const limit = kind === 'session' ? Limits.keyBytes : Limits.partitionBytes;
  if (bytes > limit) {
    const what = kind === 'session' ? "id (its row's partition and sort key)" : "row's partition key";
    throw new ValidationError(
      `${context}.prefix`,
      `${kind} "${name}": its ${what} "${prefix.slice(0, 16)}...${ROW_MARKERS[kind]}..." would be ${bytes} bytes in UTF-8; the limit is ${limit} (shorten the prefix${kind === 'session' ? '' : ` or the ${kind === 'election' ? 'name' : 'key'}`})`,
    );
  }
  return partition;
}
