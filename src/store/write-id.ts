import { randomBytes } from 'node:crypto';

/** The row attribute holding the id of the conditional write that last set it. */
export const WRITE_ID_FIELD = 'writeId';

/**
 * A random id for one conditional write (96 bits, base64url), so its outcome can be recognised in
 * the row even when DynamoDB's answer was lost.
 *
 * @example
 * ```ts
 * const id = newWriteId(); // 'q3XvN1k0cD9aQm2P'
 * ```
 */
export function newWriteId(): string {
  return randomBytes(12).toString('base64url');
}
