import type {
  Backend,
  CallListener,
  ChangeFeed,
  DeleteInput,
  DeleteResult,
  FieldValue,
  QueryInput,
  QueryPage,
  StoredItem,
  TransactItem,
  TransactResult,
  WriteInput,
  WriteResult,
} from '../contract/backend.js';
import { checkStoreInput, checkTransact } from '../contract/check-input.js';
import { systemClock } from '../contract/clock/system.js';
import type { Clock } from '../contract/clock/types.js';
import { decodeRow, type RawRow } from '../contract/decode-row.js';
import { BackendError, ValidationError } from '../contract/errors/store.js';
import { compareUtf8, evaluate } from '../contract/evaluate.js';
import { defaultAttributeNames } from '../contract/names.js';
import { reportCall } from '../contract/report-call.js';
import {
  checkDuration,
  checkFunction,
  checkShape,
  MAX_TIMER_MS,
  resolveOptions,
} from '../contract/validate.js';
import { MemoryFeed } from './feed.js';
import { itemSize } from './size.js';

const PAGE_BYTES = 1024 * 1024;

/** Options of {@link MemoryBackend}. */
export interface MemoryBackendOptions {
  /** Time source for TTL reaping; share it with the `Dynastore` to simulate time. @default systemClock */
  clock?: Clock;
  /** Receives one event per operation, named like the DynamoDB call it stands for. */
  onCall?: CallListener;
  /**
   * Remove rows past their `expires` every this many ms, emitting `cause: 'expiry'` deletes (as
   * DynamoDB's TTL reaper does, only sooner). `0` never reaps on its own; call `reap()`. At most
   * 2^31-1. @default 0
   */
  reapIntervalMs?: number;
}

/**
 * The in-process store: same contract and behaviour as DynamoDB, for unit tests and virtual-time
 * simulations. Rows survive only as long as the instance.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const store = new Dynastore({ backend: new MemoryBackend({ clock }), clock });
 * await store.partition('config').put('a', 'text');
 * ```
 */
export class MemoryBackend implements Backend {
  readonly kind = 'memory';
  readonly #rows = new Map<string, Map<string, StoredItem>>();
  readonly #feed = new MemoryFeed();
  readonly #clock: Clock;
  readonly #onCall: CallListener | undefined;

  constructor(options: MemoryBackendOptions = {}) {
    const o = resolveOptions('MemoryBackend', options, {
      clock: systemClock,
      onCall: undefined,
      reapIntervalMs: 0,
    });
    this.#clock = checkShape<Clock>(
      'MemoryBackend.clock',
      o.clock,
      ['now', 'monotonic', 'setTimeout', 'sleep'],
      'a Clock',
    );
    this.#onCall =
      o.onCall === undefined ? undefined : checkFunction<CallListener>('MemoryBackend.onCall', o.onCall);
    const reapMs = checkDuration('MemoryBackend.reapIntervalMs', o.reapIntervalMs, {
      allowZero: true,
      max: MAX_TIMER_MS,
    });
    if (reapMs > 0) this.#scheduleReap(reapMs);
  }

  async get(
    partition: string,
    key: string,
    options: { consistent?: boolean } = {},
  ): Promise<StoredItem | undefined> {
    checkStoreInput({ partition, key });
    const item = this.#rows.get(partition)?.get(key);
    this.#report('GetItem', readUnits(item ? itemSize(item) : 1, options.consistent !== false));
    return item;
  }

  async write(input: WriteInput): Promise<WriteResult> {
    checkStoreInput(input);
    const current = this.#current(input.partition, input.key);
    if (input.condition && !evaluate(input.condition, current)) {
      this.#report('UpdateItem', { writeUnits: 1 }, conditionFailed());
      return { ok: false, current };
    }
    const item = applyWrite(current, input);
    this.#put(item, current);
    this.#report('UpdateItem', { writeUnits: writeUnits(item, current) });
    return { ok: true, item };
  }

  async delete(input: DeleteInput): Promise<DeleteResult> {
    checkStoreInput(input);
    const current = this.#current(input.partition, input.key);
    if (input.condition && !evaluate(input.condition, current)) {
      this.#report('DeleteItem', { writeUnits: 1 }, conditionFailed());
      return { ok: false, current };
    }
    this.#remove(input.partition, input.key, 'write');
    this.#report('DeleteItem', { writeUnits: current ? writeUnits(current, undefined) : 1 });
    return { ok: true, previous: current };
  }

  async query(input: QueryInput): Promise<QueryPage> {
    checkStoreInput(input);
    const rows = [...(this.#rows.get(input.partition)?.values() ?? [])]
      .filter(
        (r) =>
          r.key.startsWith(input.prefix ?? '') &&
          (input.after === undefined || compareUtf8(r.key, input.after) > 0),
      )
      .sort((a, b) => compareUtf8(a.key, b.key));
    const items: StoredItem[] = [];
    let bytes = 0;
    for (const row of rows) {
      if (input.limit !== undefined && items.length >= input.limit) break;
      if (bytes >= PAGE_BYTES) break;
      items.push(row);
      bytes += itemSize(row);
    }
    this.#report('Query', readUnits(bytes || 1, input.consistent !== false));
    const more = items.length < rows.length;
    const last = items[items.length - 1];
    return { items, ...(more && last && { lastKey: last.key }) };
  }

  async transact(items: readonly TransactItem[]): Promise<TransactResult> {
    checkTransact(items);
    const currents = items.map((t) => this.#current(t.partition, t.key));
    const failed = items.map((t, i) => t.condition !== undefined && !evaluate(t.condition, currents[i]));
    if (failed.some(Boolean)) {
      this.#report('TransactWriteItems', { writeUnits: 2 * items.length }, conditionFailed());
      return { ok: false, failed, current: currents };
    }
    for (const [i, t] of items.entries()) {
      if (t.kind === 'write') {
        const item = applyWrite(currents[i], t);
        this.#put(item, currents[i]);
      } else if (t.kind === 'delete') {
        this.#remove(t.partition, t.key, 'write');
      }
    }
    this.#report('TransactWriteItems', { writeUnits: 2 * items.length });
    return { ok: true };
  }

  changes(): ChangeFeed {
    return this.#feed;
  }

  /** Removes every row whose `expires` has passed, as DynamoDB's TTL reaper would. Returns how many. */
  reap(): number {
    const nowSec = this.#clock.now() / 1000;
    let count = 0;
    for (const rows of this.#rows.values()) {
      for (const row of [...rows.values()]) {
        if (row.expiresSec !== undefined && row.expiresSec <= nowSec) {
          this.#remove(row.partition, row.key, 'expiry');
          count++;
        }
      }
    }
    return count;
  }

  /**
   * Stores a row exactly as another writer (Go, the AWS CLI, a bug) could leave it in DynamoDB:
   * attribute values in DynamoDB's wire shape, with Go dynastore's attribute names (`id`, `name`,
   * `version`, `payload`, `expires`, `encoding`), replacing any row at that key (like `PutItem`).
   * For tests of how reads cope with odd rows; it is reported to watchers as a write.
   *
   * @example
   * ```ts
   * backend.putRaw({ id: { S: 'config' }, name: { S: 'a' }, version: { N: '1' }, expires: { S: 'soon' } });
   * ```
   */
  putRaw(row: RawRow): StoredItem {
    const item = Object.freeze(decodeRow(row, defaultAttributeNames));
    if (item.invalid?.logical === 'partition' || item.invalid?.logical === 'key')
      throw new ValidationError('row', `the key attribute ${item.invalid.attribute} ${item.invalid.reason}`);
    checkStoreInput({ partition: item.partition, key: item.key });
    const current = this.#current(item.partition, item.key);
    this.#put(item, current);
    return item;
  }

  /** Deletes a row without a trace in the metrics (simulates an operator's manual delete). */
  purge(partition: string, key: string): void {
    this.#remove(partition, key, 'write');
  }

  /** Every stored row, expired or not (for assertions in tests). */
  dump(): StoredItem[] {
    return [...this.#rows.values()].flatMap((m) => [...m.values()]);
  }

  #current(partition: string, key: string): StoredItem | undefined {
    return this.#rows.get(partition)?.get(key);
  }

  #store(item: StoredItem): void {
    let rows = this.#rows.get(item.partition);
    if (!rows) {
      rows = new Map();
      this.#rows.set(item.partition, rows);
    }
    rows.set(item.key, item);
  }

  #remove(partition: string, key: string, cause: 'write' | 'expiry'): void {
    const rows = this.#rows.get(partition);
    const previous = rows?.get(key);
    if (!rows || !previous) return;
    rows.delete(key);
    if (rows.size === 0) this.#rows.delete(partition);
    this.#feed.push({ type: 'delete', partition, key, previous, cause });
  }

  /** Stores a written row and tells the change feed (the mirror of `#remove`). */
  #put(item: StoredItem, current: StoredItem | undefined): void {
    this.#store(item);
    this.#feed.push({
      type: 'put',
      partition: item.partition,
      key: item.key,
      item,
      cause: 'write',
      ...prev(current),
    });
  }

  #scheduleReap(intervalMs: number): void {
    this.#clock.setTimeout(() => {
      this.reap();
      this.#scheduleReap(intervalMs);
    }, intervalMs);
  }

  #report(
    operation: string,
    consumedCapacity: { readUnits?: number; writeUnits?: number },
    error?: Error,
  ): void {
    reportCall(this.#onCall, () => ({
      operation,
      table: 'memory',
      durationMs: 0,
      consumedCapacity: {
        ...consumedCapacity,
        total: (consumedCapacity.readUnits ?? 0) + (consumedCapacity.writeUnits ?? 0),
      },
      ...(error && { error }),
    }));
  }
}

function applyWrite(current: StoredItem | undefined, input: WriteInput): StoredItem {
  if (current?.invalid?.logical === 'version') {
    // DynamoDB refuses `ADD version :1` on a version that is not a number
    throw new BackendError(
      'UpdateItem',
      `ValidationException: An operand in the update expression has an incorrect data type (${current.invalid.attribute} ${current.invalid.reason})`,
      false,
    );
  }
  const fields: Record<string, FieldValue> = { ...(current?.fields ?? {}) };
  const written = new Set(Object.keys(input.fields ?? {}));
  for (const [name, value] of Object.entries(input.fields ?? {})) {
    if (value === null) delete fields[name];
    else fields[name] = value;
  }
  const opaque = (current?.opaque ?? []).filter((name) => !written.has(name));
  // a layout attribute this write sets (or removes) is no longer odd
  const overwritten = { payload: input.payload, encoding: input.encoding, expires: input.expiresSec };
  const invalid =
    current?.invalid &&
    !(
      current.invalid.logical in overwritten &&
      overwritten[current.invalid.logical as keyof typeof overwritten] !== undefined
    )
      ? current.invalid
      : undefined;
  const payload = pick(input.payload, current?.payload);
  const expiresSec = pick(input.expiresSec, current?.expiresSec);
  return Object.freeze({
    partition: input.partition,
    key: input.key,
    version: (current?.version ?? 0) + 1,
    ...(payload !== undefined && { payload }),
    // the marker is tied to the version this write creates: a write that leaves it alone voids it
    ...(input.encoding === 'base64' && { encoding: 'base64' as const }),
    ...(expiresSec !== undefined && { expiresSec }),
    fields: Object.freeze(fields),
    ...(opaque.length > 0 && { opaque: Object.freeze(opaque) }),
    ...(invalid && { invalid }),
  });
}

function pick<T>(next: T | null | undefined, current: T | undefined): T | undefined {
  if (next === null) return undefined;
  return next === undefined ? current : next;
}

function prev(current: StoredItem | undefined): { previous?: StoredItem } {
  return current ? { previous: current } : {};
}

function readUnits(bytes: number, consistent: boolean): { readUnits: number } {
  const units = Math.ceil(bytes / 4096);
  return { readUnits: consistent ? units : units / 2 };
}

function writeUnits(item: StoredItem, before: StoredItem | undefined): number {
  return Math.max(1, Math.ceil(Math.max(itemSize(item), before ? itemSize(before) : 0) / 1024));
}

function conditionFailed(): Error {
  const err = new Error('The conditional request failed');
  err.name = 'ConditionalCheckFailedException';
  return err;
}
