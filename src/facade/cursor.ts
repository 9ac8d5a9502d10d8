import { ValidationError } from '../contract/errors/store.js';
import { isWellFormed } from '../contract/validate.js';

interface CursorBody {
  v: 1;
  p: string;
  x: string;
  a: string;
}

/**
 * Encodes a `listPage` position. Opaque to callers; bound to the partition and prefix it was made for.
 *
 * @example
 * ```ts
 * const cursor = encodeCursor('config', 'a/', 'a/42');
 * ```
 */
export function encodeCursor(partition: string, prefix: string, after: string): string {
  const body: CursorBody = { v: 1, p: partition, x: prefix, a: after };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor, refusing one that is malformed or was produced for another partition or prefix.
 *
 * @example
 * ```ts
 * const after = decodeCursor(cursor, 'config', 'a/');
 * ```
 */
export function decodeCursor(cursor: unknown, partition: string, prefix: string): string {
  if (typeof cursor !== 'string' || cursor.length === 0)
    throw new ValidationError('cursor', 'must be a non-empty string from listPage');
  let body: Partial<CursorBody>;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorBody>;
  } catch {
    throw new ValidationError('cursor', 'is not a cursor produced by listPage');
  }
  if (
    body?.v !== 1 ||
    typeof body.a !== 'string' ||
    typeof body.p !== 'string' ||
    typeof body.x !== 'string' ||
    !isWellFormed(body.a)
  ) {
    throw new ValidationError('cursor', 'is not a cursor produced by listPage');
  }
  if (body.p !== partition || body.x !== prefix) {
    throw new ValidationError(
      'cursor',
      `was produced for partition "${body.p}" and prefix "${body.x}", not "${partition}" and "${prefix}"`,
    );
  }
  return body.a;
}
