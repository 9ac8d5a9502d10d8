import type { TableDescription } from '@aws-sdk/client-dynamodb';
import { GlobalTableError, type GlobalTableMode, type TableUse } from '../contract/errors/global-table.js';
import { BackendError } from '../contract/errors/store.js';

/**
 * What dynastore does on a global table in multi-Region eventual consistency (MREC), where a
 * condition is checked in one Region only:
 * - `'refuse'`: refuse everything that relies on a conditional write (locks, semaphores,
 *   elections, sessions, `atomicPut`, `atomicDelete`, fenced writes) with a `GlobalTableError`;
 * - `'single-writer-region'`: allow them; you promise that every process that writes to this
 *   table does so in one Region (then conditions are checked where every write happens). Also
 *   lets them through when DescribeTable is denied.
 *
 * @example
 * ```ts
 * new Dynastore({ client, tableName, globalTable: 'single-writer-region' });
 * ```
 */
export type GlobalTablePolicy = 'refuse' | 'single-writer-region';

/**
 * How a table replicates, from its DescribeTable answer.
 *
 * @example
 * ```ts
 * const mode: TableMode = { mode: 'MREC', replicas: ['us-east-1', 'eu-west-1'] };
 * ```
 */
export interface TableMode {
  readonly mode: GlobalTableMode;
  readonly replicas: readonly string[];
}

/**
 * Reads a DescribeTable answer: a global table has `Replicas` (or a `GlobalTableVersion`); its
 * `MultiRegionConsistency` is `STRONG` (MRSC) or `EVENTUAL`, and absent means EVENTUAL (the
 * default of global tables). Anything else is a single-Region table.
 *
 * @example
 * ```ts
 * tableModeOf({ Replicas: [{ RegionName: 'us-east-1' }], MultiRegionConsistency: 'STRONG' }); // { mode: 'MRSC', ... }
 * ```
 */
export function tableModeOf(table: TableDescription | undefined): TableMode {
  const replicas = (table?.Replicas ?? [])
    .map((r) => r.RegionName)
    .filter((r): r is string => typeof r === 'string');
  const global = (table?.Replicas?.length ?? 0) > 0 || table?.GlobalTableVersion !== undefined;
  if (!global) return { mode: 'single-region', replicas };
  return { mode: table?.MultiRegionConsistency === 'STRONG' ? 'MRSC' : 'MREC', replicas };
}

const MREC_WHY =
  'DynamoDB checks a condition against the copy in the Region that receives the write only, and resolves writes of one item made in two Regions last-writer-wins: two Regions could both be granted one lock, or both win one atomicPut, with no error anywhere';
const MREC_REFUSED =
  'dynastore refuses locks, semaphores, elections, sessions, atomicPut, atomicDelete and fenced writes on it (put, get, list, delete and watch work)';
const MREC_FIX =
  "Use a single-Region table, or a multi-Region strong consistency (MRSC) global table, for coordination; or, if every process that writes to this table writes in one Region, pass globalTable: 'single-writer-region' to Dynastore";

/**
 * Why `use` is refused on a table of `mode`, or undefined when it is allowed. MRSC (from the
 * DynamoDB Developer Guide, "How DynamoDB global tables work"): writes are replicated
 * synchronously and conflicting writes from two Regions fail (`ReplicatedWriteConflictException`),
 * so conditional writes hold; transactions are not supported (and neither is TTL, which dynastore
 * does not need for correctness: readers ignore expired rows).
 *
 * @example
 * ```ts
 * refusal('t', { mode: 'MRSC', replicas: [] }, 'transaction', 'refuse'); // 'table "t" is ...'
 * ```
 */
export function refusal(
  tableName: string,
  table: TableMode,
  use: TableUse,
  policy: GlobalTablePolicy,
): string | undefined {
  const where = table.replicas.length > 0 ? `; replicas: ${table.replicas.join(', ')}` : '';
  switch (table.mode) {
    case 'single-region':
      return undefined;
    case 'MREC':
      if (policy === 'single-writer-region') return undefined;
      return `${WHAT[use]} refused: table "${tableName}" is a global table in multi-Region eventual consistency (MREC${where}). ${MREC_WHY}. ${MREC_REFUSED}. ${MREC_FIX}.`;
    case 'MRSC':
      if (use === 'conditional-write') return undefined;
      return `${WHAT[use]} refused: table "${tableName}" is a global table in multi-Region strong consistency (MRSC${where}), which does not support transactions (TransactWriteItems). ${
        use === 'session'
          ? 'A session whose process dies has its locks taken over in a transaction, so sessions are refused here'
          : 'Fenced writes (put or delete with fence) and the takeover of a dead session need one, so they are refused here'
      }; locks, semaphores, elections, atomicPut and atomicDelete work (conditional writes are strongly consistent across Regions on MRSC). Use per-lock leases instead of sessions, and check the fencing token where you write instead of fence.`;
    case 'unknown':
      if (policy === 'single-writer-region') return undefined;
      return `${WHAT[use]} refused: cannot tell whether table "${tableName}" is a global table, because DescribeTable was denied. On a global table in multi-Region eventual consistency a condition is checked in one Region only, so dynastore does not rely on one until it knows. Allow dynamodb:DescribeTable on the table (\`dynastore iam-policy\` prints a policy that does), or, if every process that writes to this table writes in one Region, pass globalTable: 'single-writer-region' to Dynastore.`;
  }
}

const WHAT: Readonly<Record<TableUse, string>> = {
  'conditional-write':
    'a conditional write (a lock, semaphore, election or session grant, atomicPut or atomicDelete)',
  transaction: 'a transaction (a fenced write, or the takeover of a dead session)',
  session: 'a session',
};

/** What {@link TableGuard} needs: the table, the policy and one DescribeTable call. */
export interface TableGuardOptions {
  readonly tableName: string;
  readonly policy: GlobalTablePolicy;
  /** Sends DescribeTable (reported and wrapped by the caller); rejects with a `BackendError`. */
  readonly describe: () => Promise<TableDescription | undefined>;
}

/**
 * Learns once, on the first use that needs it, whether the table is a global table and in which
 * consistency mode (one DescribeTable), and answers every later use from that, with no call and
 * no wait: {@link TableGuard.check} returns undefined when the use is allowed and the mode known.
 * A failed look-up is not remembered (the next use asks again); concurrent first uses share one.
 *
 * @example
 * ```ts
 * const guard = new TableGuard({ tableName, policy: 'refuse', describe });
 * const pending = guard.check('conditional-write');
 * if (pending) await pending; // rejects with GlobalTableError on an MREC table
 * ```
 */
export class TableGuard {
  readonly #o: TableGuardOptions;
  #mode: TableMode | undefined;
  #pending: Promise<TableMode> | undefined;

  constructor(options: TableGuardOptions) {
    this.#o = options;
  }

  /** The mode once learnt (undefined before the first look-up, or while it is denied). */
  get mode(): TableMode | undefined {
    return this.#mode;
  }

  /**
   * Undefined when `use` is allowed and the table's mode is already known (the hot path: nothing
   * to await); otherwise a promise that resolves when it is allowed, or rejects with a
   * `GlobalTableError` (or the look-up's `BackendError`).
   */
  check(use: TableUse): Promise<void> | undefined {
    const known = this.#mode;
    if (known) {
      const why = refusal(this.#o.tableName, known, use, this.#o.policy);
      return why === undefined ? undefined : Promise.reject(this.#error(known, use, why));
    }
    return this.#learn().then(
      (mode) => {
        const why = refusal(this.#o.tableName, mode, use, this.#o.policy);
        if (why !== undefined) throw this.#error(mode, use, why);
      },
      (err: unknown) => {
        if (!isAccessDenied(err)) throw err;
        const unknown: TableMode = { mode: 'unknown', replicas: [] };
        const why = refusal(this.#o.tableName, unknown, use, this.#o.policy);
        if (why !== undefined) throw this.#error(unknown, use, why, err);
      },
    );
  }

  #learn(): Promise<TableMode> {
    this.#pending ??= this.#o.describe().then(
      (table) => {
        const mode = tableModeOf(table);
        this.#mode = mode;
        return mode;
      },
      (err: unknown) => {
        this.#pending = undefined;
        throw err;
      },
    );
    return this.#pending;
  }

  #error(mode: TableMode, use: TableUse, why: string, cause?: unknown): GlobalTableError {
    return new GlobalTableError(
      this.#o.tableName,
      mode.mode,
      mode.replicas,
      use,
      why,
      cause === undefined ? undefined : { cause },
    );
  }
}

function isAccessDenied(err: unknown): boolean {
  const cause = err instanceof BackendError ? err.cause : err;
  return (cause as { name?: unknown } | undefined)?.name === 'AccessDeniedException';
}
