import type { StoredItem } from './backend.js';
import { isCanonicalBase64 } from './decode-row.js';
import { InvalidItemError } from './errors/store.js';

/**
 * One key's value as read from the store. Immutable.
 *
 * @example
 * ```ts
 * const pair = await kv.get('config');
 * if (pair) console.log(pair.version, pair.text(), pair.json<{ on: boolean }>().on);
 * ```
 */
export class KVPair {
  /** Partition the key lives in. */
  readonly partition: string;
  readonly key: string;
  /** Starts at 1 and grows by one on every write; the compare-and-swap guard. */
  readonly version: number;
  /** When the item expires (stored as whole epoch seconds), if it has a TTL. */
  readonly expiresAt?: Date;
  readonly #payload: string;
  readonly #base64: boolean;

  /** @internal use {@link toPair}. */
  constructor(item: StoredItem) {
    this.partition = item.partition;
    this.key = item.key;
    this.version = item.version;
    if (item.expiresSec !== undefined) this.expiresAt = new Date(item.expiresSec * 1000);
    this.#payload = item.payload ?? '';
    this.#base64 = item.encoding === 'base64';
  }

  /** The value as text (bytes are decoded as UTF-8). */
  text(): string {
    return this.#base64 ? Buffer.from(this.#payload, 'base64').toString('utf8') : this.#payload;
  }

  /** The value as bytes (text is encoded as UTF-8). A fresh copy each call. */
  bytes(): Uint8Array {
    const buf = this.#base64 ? Buffer.from(this.#payload, 'base64') : Buffer.from(this.#payload, 'utf8');
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();
  }

  /**
   * The value's text decoded as base64: the original bytes of a value Go dynastore wrote with
   * `WriteWithBytes` (Go stores bytes as base64 text, with no marker, so `bytes()` returns that
   * text's UTF-8). For bytes dynastore wrote it equals `bytes()`. Throws `InvalidItemError` when
   * the stored text is not canonical base64.
   *
   * @example
   * ```ts
   * const raw = (await kv.get('written-by-go'))?.base64Bytes(); // Uint8Array
   * ```
   */
  base64Bytes(): Uint8Array {
    if (!isCanonicalBase64(this.#payload)) {
      throw new InvalidItemError(this.partition, this.key, 'payload', 'is not base64 text');
    }
    const buf = Buffer.from(this.#payload, 'base64');
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();
  }

  /** The value parsed as JSON. Throws `SyntaxError` when it is not JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }

  /** Plain-object form for logs and `JSON.stringify`. */
  toJSON(): { partition: string; key: string; version: number; expiresAt?: string; value: string } {
    return {
      partition: this.partition,
      key: this.key,
      version: this.version,
      ...(this.expiresAt && { expiresAt: this.expiresAt.toISOString() }),
      value: this.text(),
    };
  }
}

/**
 * Wraps a backend row as a {@link KVPair}; a row another writer left unreadable (see
 * `StoredItem.invalid`) throws {@link InvalidItemError} naming the key and the attribute.
 *
 * @example
 * ```ts
 * const pair = toPair(storedItem);
 * ```
 */
export function toPair(item: StoredItem): KVPair {
  const error = invalidItemError(item);
  if (error) throw error;
  return new KVPair(item);
}

/**
 * The {@link InvalidItemError} for a row another writer left unreadable, or undefined.
 *
 * @example
 * ```ts
 * const err = invalidItemError(item);
 * ```
 */
export function invalidItemError(item: StoredItem): InvalidItemError | undefined {
  const bad = item.invalid;
  return bad && new InvalidItemError(item.partition, item.key, bad.attribute, bad.reason);
}
