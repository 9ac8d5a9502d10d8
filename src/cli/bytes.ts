import type { KVPair } from '../index.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The bytes as text when they are well-formed UTF-8 (then the text encodes back to exactly these
 * bytes), else undefined.
 *
 * @example
 * ```ts
 * utf8OrUndefined(Buffer.from('héllo')); // 'héllo'
 * utf8OrUndefined(Buffer.from([0xff]));  // undefined
 * ```
 */
export function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The value of a pair for `--json` output: `{ value }` when it is text (well-formed UTF-8),
 * `{ base64 }` when it is binary, so that no byte is lost either way.
 *
 * @example
 * ```ts
 * valueFields(pair); // { value: 'on' } or { base64: '/w==' }
 * ```
 */
export function valueFields(pair: KVPair): { value: string } | { base64: string } {
  const bytes = pair.bytes();
  const text = utf8OrUndefined(bytes);
  return text !== undefined ? { value: text } : { base64: Buffer.from(bytes).toString('base64') };
}

/**
 * A pair as a plain object for `--json`: `pair.toJSON()` with the value as {@link valueFields}.
 *
 * @example
 * ```ts
 * pairJson(pair); // { partition: 'cfg', key: 'a', version: 1, value: 'on' }
 * ```
 */
export function pairJson(pair: KVPair): Record<string, unknown> {
  const { value: _lossy, ...rest } = pair.toJSON();
  return { ...rest, ...valueFields(pair) };
}
