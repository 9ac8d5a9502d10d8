import { randomBytes } from 'node:crypto';

/** The row attribute holding the id of the conditional write that last set it. */
export const WRITE_ID_FIELD = 'writeId';

/** 72 random bits per process; a counter makes each id unique within it. */
const PROCESS_PREFIX = randomBytes(9).toString('base64url');
let counter = 0;

/**
 * A unique id for one conditional write (a random per-process prefix and a counter), so its
 * outcome can be recognised in the row even when DynamoDB's answer was lost.
 *
 * @example
 * ```ts
 * const id = newWriteId(); // 'q3XvN1k0cD9a.1f'
 * ```
 */
export function newWriteId(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${PROCESS_PREFIX}.${counter.toString(36)}`;
}
