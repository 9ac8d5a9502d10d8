import type { Observable } from 'rxjs';
import type { Backend, Condition, StoredItem, WriteInput, WriteResult } from '../contract/backend.js';
import { markPayloadChecked } from '../contract/check-input.js';
import type { Clock } from '../contract/clock/types.js';
import { absentOrExpired, liveAt, liveAtVersion } from '../contract/conditions.js';
import {
  AmbiguousWriteError,
  InvalidItemError,
  KeyExistsError,
  KeyModifiedError,
  KeyNotFoundError,
  ValidationError,
} from '../contract/errors/store.js';
import { isLive } from '../contract/evaluate.js';
import { invalidItemError, KVPair, toPair } from '../contract/kv-pair.js';
import { queryPages } from '../contract/query-pages.js';
import { readBackIfAmbiguous, settledWrite } from '../contract/settle.js';
import {
  checkBoolean,
  checkDuration,
  checkFunction,
  checkInteger,
  checkName,
  checkText,
  Limits,
  MAX_TTL_MS,
  resolveOptions,
} from '../contract/validate.js';
import { encodeValue, type Value } from '../contract/value.js';
import { WarningCode, warnOnce } from '../contract/warn.js';
import type { Lease } from '../lock/index.js';
import {
  checkFence,
  fencedTransact,
  KV_SESSION_FIELD,
  KV_SESSION_SKEW_FIELD,
  kvSessionOf,
  sessionDeadInMs,
  sessionRowTarget,
} from '../lock/internal.js';
import {
  type WatchEvent,
  type WatchOptions,
  type WatchPrefixOptions,
  watchKey,
  watchPrefix,
} from '../watch/index.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { Session } from './session.js';
import { sessionJudgeFor } from './session-judge.js';

/** Options of `put`. */
export interface PutOptions {
  /**
   * Time to live: the item is absent to every read once it passes (stored as whole epoch seconds,
   * rounded up). No TTL removes an earlier one. More than 0 and at most {@link MAX_TTL_MS}
   * (ten years); anything else is a `ValidationError`.
   */
  ttlMs?: number;
  /**
   * Fence the write with a lock lease: it is applied, in one transaction, only while the lock row
   * still carries this lease's owner and token; else `FencedError` and nothing is written. Costs a
   * transaction (2 WCU per row) and one read to return the pair (transactions return no item).
   */
  fence?: Lease;
  /**
   * Bind the key to a session (`store.session()`): it lives as long as the session. Once the
   * session is closed, lost or taken over, `get`, `exists` and `list` treat the key as absent (by
   * the takeover rules of the session's locks, never sooner), `watch` and `watchPrefix` emit a
   * delete with `cause: 'session'`; the next writer replaces the row, and a read that finds it dead
   * deletes it (a conditional delete, not awaited; see docs/work-groups.md). No `expires` is set
   * (a live session's heartbeat does not rewrite its keys). A put without
   * `session` unbinds the key. A session that has already ended is refused (its `LeaseLostError`).
   */
  session?: Session;
}

/** Options of `delete`. */
export interface DeleteOptions {
  /** Fence the delete with a lock lease (see `PutOptions.fence`); resolves false when nothing live was there. */
  fence?: Lease;
}

/** Options of `atomicPut`. */
export interface AtomicPutOptions extends PutOptions {
  /** Compare-and-swap against this pair's version. Omitted: create only if absent or expired. */
  previous?: KVPair;
}

/** Options of reads. */
export interface GetOptions {
  /** Strongly consistent read. @default true */
  consistent?: boolean;
}

/** Options of `list`. */
export interface ListOptions extends GetOptions {
  /** Only keys starting with this. @default '' (every key) */
  prefix?: string;
  /** Rows per request (DynamoDB `Limit`), 1 to 1 000 000; DynamoDB also stops each page at 1 MB. @default 1000 */
  pageSize?: number;
  /**
   * Called for each key whose row another writer left unreadable; the listing goes on. Without
   * it, `list` yields every readable pair and then throws the first such `InvalidItemError`.
   */
  onInvalid?: (error: InvalidItemError) => void;
}

/** Options of `listPage`. */
export interface ListPageOptions extends GetOptions {
  /** Only keys starting with this. @default '' */
  prefix?: string;
  /** Rows examined for this page (expired rows are examined but not returned), 1 to 1 000 000. @default 100 */
  limit?: number;
  /** The `cursor` of the previous page, for the same partition and prefix. */
  cursor?: string;
}

/** One page of `listPage`. */
export interface ListPage {
  readonly items: KVPair[];
  /**
   * Live keys of this page whose rows another writer left unreadable (an odd `expires`,
   * `version` or `payload`, ...): one `InvalidItemError` each, naming key and attribute. They are
   * not in `items`; the others are unaffected. Usually empty.
   */
  readonly invalid: InvalidItemError[];
  /** Pass to the next `listPage` call; absent on the last page. */
  readonly cursor?: string;
}

/** Most rows `list` (`pageSize`) and `listPage` (`limit`) ask DynamoDB for per request. */
const MAX_PAGE_ROWS = 1_000_000;

/** What a partition needs from its store. */
export interface PartitionContext {
  readonly backend: Backend;
  readonly clock: Clock;
  readonly consistentReads: boolean;
}

/**
 * The keys of one partition: get, put, compare-and-swap, delete, list and (see `watch`) changes.
 *
 * @example
 * ```ts
 * const kv = store.partition('config');
 * const pair = await kv.put('flags/dark-mode', 'on');
 * await kv.atomicPut('flags/dark-mode', 'off', { previous: pair });
 * ```
 */
export class Partition {
  readonly name: string;
  readonly #ctx: PartitionContext;
  /** Rows (key and version) whose removal as dead session keys is under way. */
  readonly #removing = new Set<string>();

  constructor(ctx: PartitionContext, name: string) {
    this.name = checkName('partition', name, Limits.partitionBytes);
    this.#ctx = ctx;
  }

  /** Writes `value` whatever is there. Returns the stored pair. */
  async put(key: string, value: Value, options?: PutOptions): Promise<KVPair> {
    const o = resolveOptions('put', options, {
      ttlMs: undefined as number | undefined,
      fence: undefined as Lease | undefined,
      session: undefined as Session | undefined,
    });
    const fence = checkFence('put.fence', o.fence);
    const write = this.#prepare(key, value, o.ttlMs, checkSession('put.session', o.session));
    if (fence) {
      const fenced = await this.#fencedWrite(fence, write);
      if (!fenced.ok) throw new Error('a fenced put reported a failed condition without FencedError');
      return toPair(fenced.item);
    }
    const result = await this.#writeOnce(write, 'put');
    if (!result.ok) throw new Error('an unconditional put reported a failed condition');
    return toPair(result.item);
  }

  /** The live pair at `key`, or undefined when absent or expired. */
  async get(key: string, options?: GetOptions): Promise<KVPair | undefined> {
    checkName('key', key, Limits.keyBytes);
    const o = resolveOptions('get', options, { consistent: this.#ctx.consistentReads });
    const consistent = checkBoolean('get.consistent', o.consistent);
    const item = await this.#ctx.backend.get(this.name, key, { consistent });
    if (!isLive(item, this.#ctx.clock.now())) return undefined;
    if (await this.#boundToDeadSession(item, new Map())) {
      this.#removeDead(item);
      return undefined;
    }
    return toPair(item);
  }

  /** Whether a live item is at `key`. */
  async exists(key: string, options?: GetOptions): Promise<boolean> {
    return (await this.get(key, options)) !== undefined;
  }

  /** Removes `key`; idempotent. Resolves true when a live item was removed. */
  async delete(key: string, options?: DeleteOptions): Promise<boolean> {
    checkName('key', key, Limits.keyBytes);
    const fence = checkFence(
      'delete.fence',
      resolveOptions('delete', options, { fence: undefined as Lease | undefined }).fence,
    );
    if (fence) {
      const fenced = {
        kind: 'delete',
        partition: this.name,
        key,
        condition: liveAt(this.#nowSec()),
      } as const;
      return (await fencedTransact(this.#ctx.backend, fence, fenced)).ok;
    }
    const result = await this.#ctx.backend.delete({ partition: this.name, key });
    return result.ok && isLive(result.previous, this.#ctx.clock.now());
  }

  /**
   * Without `previous`: creates `key` only if it is absent or expired, else `KeyExistsError`.
   * With `previous`: replaces it only if it is still at `previous.version`, else `KeyModifiedError`.
   * Either error carries the `current` pair, taken from the failed write itself.
   */
  async atomicPut(key: string, value: Value, options?: AtomicPutOptions): Promise<KVPair> {
    const o = resolveOptions('atomicPut', options, {
      ttlMs: undefined as number | undefined,
      previous: undefined as KVPair | undefined,
      fence: undefined as Lease | undefined,
      session: undefined as Session | undefined,
    });
    const fence = checkFence('atomicPut.fence', o.fence);
    const previous = this.#checkPrevious(o.previous, key);
    const write = this.#prepare(key, value, o.ttlMs, checkSession('atomicPut.session', o.session));
    const nowSec = this.#nowSec();
    const send = (condition: Condition) =>
      fence
        ? this.#fencedWrite(fence, { ...write, condition })
        : this.#writeOnce({ ...write, condition }, 'atomicPut');
    let result = await send(previous ? liveAtVersion(previous.version, nowSec) : absentOrExpired(nowSec));
    if (result.ok) return toPair(result.item);
    // a create finds a row bound to a dead session: it is absent to every read, so the create
    // replaces exactly that row (compare-and-swap on its version)
    if (!previous && result.current && (await this.#boundToDeadSession(result.current, new Map()))) {
      result = await send(liveAtVersion(result.current.version, nowSec));
      if (result.ok) return toPair(result.item);
    }
    const current = this.#livePair(result.current);
    if (!previous) throw new KeyExistsError(`key "${key}" exists in partition "${this.name}"`, current);
    throw new KeyModifiedError(
      `key "${key}" in partition "${this.name}" is ${current ? `at version ${current.version}` : 'gone'}, not version ${previous.version}`,
      current,
    );
  }

  /**
   * Deletes `key` only if it is still at `previous.version`: `KeyModifiedError` (with `current`)
   * when it changed, `KeyNotFoundError` when it is gone or expired.
   */
  async atomicDelete(key: string, previous: KVPair): Promise<void> {
    checkName('key', key, Limits.keyBytes);
    const prev = this.#checkPrevious(previous, key);
    if (!prev) throw new ValidationError('previous', 'is required: the pair read before deleting');
    const result = await this.#ctx.backend.delete({
      partition: this.name,
      key,
      condition: liveAtVersion(prev.version, this.#nowSec()),
    });
    if (result.ok) return;
    const current = this.#livePair(result.current);
    if (!current) throw new KeyNotFoundError(`key "${key}" is not in partition "${this.name}"`);
    throw new KeyModifiedError(
      `key "${key}" in partition "${this.name}" is at version ${current.version}, not ${prev.version}`,
      current,
    );
  }

  /** Every live pair (optionally under a prefix), in key order, fetching pages as it goes. */
  async *list(options?: ListOptions): AsyncGenerator<KVPair, void, undefined> {
    const o = resolveOptions('list', options, {
      prefix: '',
      pageSize: 1000,
      consistent: this.#ctx.consistentReads,
      onInvalid: undefined as ((error: InvalidItemError) => void) | undefined,
    });
    const onInvalid =
      o.onInvalid === undefined
        ? undefined
        : checkFunction<(error: InvalidItemError) => void>('list.onInvalid', o.onInvalid);
    let firstInvalid: InvalidItemError | undefined;
    let invalidCount = 0;
    const prefix = this.#checkPrefix(o.prefix);
    checkInteger('list.pageSize', o.pageSize, { min: 1, max: MAX_PAGE_ROWS });
    checkBoolean('list.consistent', o.consistent);
    const pages = queryPages(this.#ctx.backend, {
      partition: this.name,
      ...(prefix && { prefix }),
      limit: o.pageSize,
      consistent: o.consistent,
    });
    const sessions = new Map<string, Promise<StoredItem | undefined>>();
    for await (const page of pages) {
      const now = this.#ctx.clock.now();
      const dead = await this.#deadSessionRows(page.items, sessions);
      for (const item of dead) this.#removeDead(item);
      for (const item of page.items) {
        if (!isLive(item, now) || dead.has(item)) continue;
        const invalid = invalidItemError(item);
        if (!invalid) yield toPair(item);
        else if (onInvalid) onInvalid(invalid);
        else {
          firstInvalid ??= invalid;
          invalidCount++;
        }
      }
    }
    if (firstInvalid) {
      if (invalidCount === 1) throw firstInvalid;
      throw new InvalidItemError(
        firstInvalid.partition,
        firstInvalid.key,
        firstInvalid.attribute,
        `${firstInvalid.reason} (and ${invalidCount - 1} more unreadable keys; pass onInvalid to see each)`,
      );
    }
  }

  /** One page of live pairs and the cursor of the next (a page may hold fewer than `limit`, even none). */
  async listPage(options?: ListPageOptions): Promise<ListPage> {
    const o = resolveOptions('listPage', options, {
      prefix: '',
      limit: 100,
      cursor: undefined as string | undefined,
      consistent: this.#ctx.consistentReads,
    });
    const prefix = this.#checkPrefix(o.prefix);
    checkInteger('listPage.limit', o.limit, { min: 1, max: MAX_PAGE_ROWS });
    checkBoolean('listPage.consistent', o.consistent);
    const after = o.cursor === undefined ? undefined : decodeCursor(o.cursor, this.name, prefix);
    const page = await this.#ctx.backend.query({
      partition: this.name,
      ...(prefix && { prefix }),
      limit: o.limit,
      consistent: o.consistent,
      ...(after !== undefined && { after }),
    });
    const now = this.#ctx.clock.now();
    const items: KVPair[] = [];
    const invalid: InvalidItemError[] = [];
    const dead = await this.#deadSessionRows(page.items, new Map());
    for (const item of dead) this.#removeDead(item);
    for (const item of page.items) {
      if (!isLive(item, now) || dead.has(item)) continue;
      const error = invalidItemError(item);
      if (error) invalid.push(error);
      else items.push(toPair(item));
    }
    return {
      items,
      invalid,
      ...(page.lastKey !== undefined && { cursor: encodeCursor(this.name, prefix, page.lastKey) }),
    };
  }

  /** `write` in one transaction with `lease.guard()`; the new row is read back (transactions return none). */
  async #fencedWrite(lease: Lease, write: WriteInput): Promise<WriteResult> {
    const result = await fencedTransact(this.#ctx.backend, lease, { kind: 'write', ...write });
    if (!result.ok) return result;
    const item = await this.#ctx.backend.get(this.name, write.key, { consistent: true });
    if (!item)
      throw new KeyNotFoundError(
        `key "${write.key}" in partition "${this.name}" was deleted right after a fenced write`,
      );
    return { ok: true, item };
  }

  /**
   * Changes of `key`: first its current state from a consistent read (a `put`, or a `delete` with
   * cause `snapshot` when absent), then every change in write order, without gaps or duplicates.
   * Cold: each subscription gets its own snapshot (subscriptions to the same key that start
   * together share one read of it); all share one stream poller per table.
   * Never completes on its own; errors with `WatchCompactedError` / `StreamDisabledError`.
   */
  watch(key: string, options?: WatchOptions): Observable<WatchEvent> {
    return watchKey(this.#watchDeps(), this.name, key, options);
  }

  /** Like {@link Partition.watch} for every key starting with `prefix` (`''`: the whole partition). */
  watchPrefix(prefix: string, options?: WatchPrefixOptions): Observable<WatchEvent> {
    return watchPrefix(this.#watchDeps(), this.name, prefix, options);
  }

  #watchDeps() {
    return {
      backend: this.#ctx.backend,
      clock: this.#ctx.clock,
      sessions: sessionJudgeFor(this.#ctx.backend, this.#ctx.clock),
    };
  }

  /**
   * Whether live row `item` is bound to a session that is dead now: its session row is absent, has
   * no owner, or its lease end + the writer's `maxClockSkewMs` is behind this clock (takeover rule
   * (a); a single read cannot apply rule (b)). One strongly consistent read of the session row,
   * shared through `sessions` by the rows of one call.
   */
  async #boundToDeadSession(
    item: StoredItem,
    sessions: Map<string, Promise<StoredItem | undefined>>,
  ): Promise<boolean> {
    const bound = kvSessionOf(item);
    if (!bound) return false;
    let read = sessions.get(bound.id);
    if (!read) {
      const target = sessionRowTarget(bound.id);
      read = this.#ctx.backend.get(target.partition, target.key, { consistent: true });
      sessions.set(bound.id, read);
    }
    const row = await read;
    const clock = this.#ctx.clock;
    const mono = clock.monotonic();
    return sessionDeadInMs(row, mono, mono, clock.now(), bound.skewMs) <= 0;
  }

  /**
   * Removes `item`, a row a read found bound to a dead session, without waiting: one conditional
   * delete that applies only while the row is unchanged (the same version, bound to the same
   * session), so a row written again since (by any writer, bound or not) is left alone. A failed
   * condition means someone else changed or removed it: nothing to do. Any other failure is in the
   * store's `onCall` events (as every call) and a process warning (`DynastoreWarning`, code
   * `DYNASTORE_SESSION_KEY_REMOVAL`, once per reason); the key still reads absent, and the next
   * writer replaces the row. One removal per row version at a time.
   */
  #removeDead(item: StoredItem): void {
    const bound = kvSessionOf(item);
    if (!bound) return;
    const tag = `${item.key}\u0000${item.version}`;
    if (this.#removing.has(tag)) return;
    this.#removing.add(tag);
    const condition: Condition = {
      op: 'and',
      all: [
        { op: 'cmp', attr: 'version', cmp: '=', value: item.version },
        { op: 'cmp', attr: `field:${KV_SESSION_FIELD}`, cmp: '=', value: bound.id },
      ],
    };
    this.#ctx.backend
      .delete({ partition: this.name, key: item.key, condition })
      .catch((error: unknown) => {
        const reason =
          error instanceof Error
            ? `${error.name}${'code' in error ? ` ${String(error.code)}` : ''}`
            : String(error);
        warnOnce(
          `could not remove key "${item.key}" of partition "${this.name}", bound to dead session ${bound.id} (${reason}: ${error instanceof Error ? error.message : String(error)}); it reads absent and the next writer replaces it`,
          WarningCode.SessionKeyRemoval,
          `${WarningCode.SessionKeyRemoval}:${reason}`,
        );
      })
      .finally(() => this.#removing.delete(tag));
  }

  /** The rows of `items` bound to a dead session (see `#boundToDeadSession`). */
  async #deadSessionRows(
    items: readonly StoredItem[],
    sessions: Map<string, Promise<StoredItem | undefined>>,
  ): Promise<Set<StoredItem>> {
    const dead = new Set<StoredItem>();
    const bound = items.filter((item) => kvSessionOf(item) !== undefined);
    await Promise.all(
      bound.map(async (item) => {
        if (await this.#boundToDeadSession(item, sessions)) dead.add(item);
      }),
    );
    return dead;
  }

  /**
   * One write, tagged with a fresh write id so that its outcome is known even when DynamoDB's
   * answer was lost. The DynamoDB backend never resends a write whose attempt may have applied;
   * it fails with an ambiguous `BackendError`, settled by reading the row back (`settledWrite`):
   * our id there means it applied; otherwise it did not, or was overwritten since, and the caller
   * gets an `AmbiguousWriteError`. A failed condition against a row carrying our id is our own
   * write too. Other errors (unreachable endpoint, non-ambiguous failures) are thrown unread.
   */
  async #writeOnce(input: WriteInput, what: string): Promise<WriteResult> {
    const settled = await settledWrite(this.#ctx.backend, input, { readBackOn: readBackIfAmbiguous });
    if (settled.outcome === 'applied') return { ok: true, item: settled.item };
    if (settled.outcome === 'refused') return settled.result;
    const { error, readBack } = settled;
    if (!readBack) throw error;
    if (!readBack.ok) {
      throw new AmbiguousWriteError(
        `${what} of key "${input.key}": outcome unknown (and reading it back failed)`,
        undefined,
        {
          cause: readBack.error,
        },
      );
    }
    throw new AmbiguousWriteError(
      `${what} of key "${input.key}" in partition "${this.name}": the request failed after it was sent and the row does not carry it (not applied, or overwritten since); read the key again`,
      this.#livePair(readBack.row),
      { cause: error },
    );
  }

  #prepare(key: string, value: Value, ttlMs: number | undefined, session: Session | undefined) {
    checkName('key', key, Limits.keyBytes);
    const { payload, encoding } = encodeValue(this.name, key, value);
    const expiresSec =
      ttlMs === undefined
        ? null
        : Math.ceil((this.#ctx.clock.now() + checkDuration('ttlMs', ttlMs, { max: MAX_TTL_MS })) / 1000);
    // encodeValue checked the payload's text: the backend's boundary check need not scan it again
    // a put binds the key to its session, or unbinds it
    const fields = {
      [KV_SESSION_FIELD]: session ? session.id : null,
      [KV_SESSION_SKEW_FIELD]: session ? session.maxClockSkewMs : null,
    };
    return markPayloadChecked({ partition: this.name, key, payload, encoding, expiresSec, fields });
  }

  #checkPrevious(previous: unknown, key: string): KVPair | undefined {
    if (previous === undefined) return undefined;
    if (!(previous instanceof KVPair))
      throw new ValidationError('previous', 'must be a KVPair read from the store');
    if (previous.key !== key || previous.partition !== this.name) {
      throw new ValidationError(
        'previous',
        `is the pair of "${previous.partition}/${previous.key}", not "${this.name}/${key}"`,
      );
    }
    return previous;
  }

  #checkPrefix(prefix: unknown): string {
    checkText('prefix', prefix);
    if (Buffer.byteLength(prefix, 'utf8') > Limits.keyBytes)
      throw new ValidationError('prefix', `is longer than ${Limits.keyBytes} bytes`);
    return prefix;
  }

  #livePair(item: StoredItem | undefined): KVPair | undefined {
    return isLive(item, this.#ctx.clock.now()) ? toPair(item) : undefined;
  }

  #nowSec(): number {
    return Math.floor(this.#ctx.clock.now() / 1000);
  }
}

/** Checks a `session` option: a live `Session` from `store.session()`. */
function checkSession(field: string, session: unknown): Session | undefined {
  if (session === undefined) return undefined;
  if (!(session instanceof Session))
    throw new ValidationError(field, 'must be a Session from store.session()');
  if (!session.held)
    throw session.signal.aborted ? session.signal.reason : new ValidationError(field, 'is closed');
  return session;
}
