import type { StoredItem } from '../backend/types.js';

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
 * Wraps a backend row as a {@link KVPair}.
 *
 * @example
 * ```ts
 * const pair = toPair(storedItem);
 * ```
 */
export function toPair(item: StoredItem): KVPair {
  return new KVPair(item);
}
