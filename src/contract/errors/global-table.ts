import { DynastoreError, ErrorCode } from './base.js';

/**
 * What a table is, as far as a conditional write is concerned: a single-Region table, a global
 * table in multi-Region eventual consistency (`MREC`) or strong consistency (`MRSC`), or
 * `unknown` when DynamoDB would not say (DescribeTable denied).
 *
 * @example
 * ```ts
 * const mode: GlobalTableMode = 'MREC';
 * ```
 */
export type GlobalTableMode = 'single-region' | 'MREC' | 'MRSC' | 'unknown';

/**
 * A use of the table whose guarantee depends on how the table replicates:
 * - `conditional-write`: a write whose condition decides who wins (locks, semaphores, elections,
 *   sessions, `atomicPut`, `atomicDelete`);
 * - `transaction`: a `TransactWriteItems` (fenced writes, the takeover of a dead session's locks);
 * - `session`: opening a session (its locks are taken over in a transaction once it dies).
 *
 * @example
 * ```ts
 * await backend.checkUse?.('session');
 * ```
 */
export type TableUse = 'conditional-write' | 'transaction' | 'session';

/**
 * dynastore refused an operation, before any write, because the table is a DynamoDB global table
 * on which the operation's guarantee does not hold (or cannot be checked). On a global table in
 * multi-Region eventual consistency (MREC) a condition is checked against one Region's copy only
 * and conflicting writes are resolved last-writer-wins: locks, semaphores, elections, sessions,
 * `atomicPut`, `atomicDelete` and fenced writes are refused there (put, get, list, delete and
 * watch work). On multi-Region strong consistency (MRSC) conditional writes hold, but transactions
 * are not supported: fenced writes and sessions are refused. The message says why and what to do.
 *
 * @example
 * ```ts
 * try { await store.lock('job').acquire() } catch (err) {
 *   if (err instanceof GlobalTableError) console.error(err.mode, err.replicas, err.message);
 * }
 * ```
 */
export class GlobalTableError extends DynastoreError {
  readonly tableName: string;
  /** How the table replicates (`unknown`: DescribeTable was denied). */
  readonly mode: GlobalTableMode;
  /** The Regions of the table's replicas, as DescribeTable listed them (may be empty). */
  readonly replicas: readonly string[];
  /** What was refused. */
  readonly use: TableUse;
  constructor(
    tableName: string,
    mode: GlobalTableMode,
    replicas: readonly string[],
    use: TableUse,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.GlobalTable, message, options);
    this.name = 'GlobalTableError';
    this.tableName = tableName;
    this.mode = mode;
    this.replicas = Object.freeze([...replicas]);
    this.use = use;
  }
}
