import type { Backend, StoredItem, WriteInput, WriteResult } from './backend.js';
import { BackendError } from './errors/store.js';
import { newWriteId, WRITE_ID_FIELD } from './write-id.js';

/**
 * Which write errors {@link settledWrite} settles by reading the row back.
 *
 * @example
 * ```ts
 * const rule: ReadBackRule = (error) => error instanceof BackendError && error.ambiguous;
 * ```
 */
export type ReadBackRule = (error: unknown) => boolean;

/**
 * Read back only after an ambiguous `BackendError`: the request was sent and its answer lost, so
 * the write may have applied. Any other error is certain: the write did not apply.
 *
 * @example
 * ```ts
 * await settledWrite(backend, input, { readBackOn: readBackIfAmbiguous });
 * ```
 */
export const readBackIfAmbiguous: ReadBackRule = (error) => error instanceof BackendError && error.ambiguous;

/**
 * Read back after any error but an unreachable endpoint (nothing answered: the request never
 * reached the store, and a read would fail alike). The read also teaches the caller the row.
 *
 * @example
 * ```ts
 * await settledWrite(backend, input, { readBackOn: readBackUnlessUnreachable });
 * ```
 */
export const readBackUnlessUnreachable: ReadBackRule = (error) =>
  !(error instanceof BackendError && error.unreachable);

/**
 * How {@link settledWrite} recognises its write and which errors it reads back for.
 *
 * @example
 * ```ts
 * const options: SettleOptions = { readBackOn: readBackIfAmbiguous, onAnswer: () => (answeredAt = Date.now()) };
 * ```
 */
export interface SettleOptions {
  /** The errors worth reading the row back for; others are returned unread. */
  readonly readBackOn: ReadBackRule;
  /**
   * Recognises this write in a row read back, for a write that carries no write id (a lease
   * renewal: its own lease end on a row still naming the holder). Absent: the write is tagged with
   * a fresh write id and recognised by it, and a failed condition against a row carrying that id
   * is this write too (its first attempt applied). With `isOurs`, a failed condition is a refusal.
   */
  readonly isOurs?: (item: StoredItem) => boolean;
  /** Called each time the store answered one of the calls (the write, the read back). */
  readonly onAnswer?: () => void;
}

/**
 * What a read back found: the row (undefined: absent), or the error the read failed with.
 *
 * @example
 * ```ts
 * if (settled.outcome === 'unknown' && settled.readBack?.ok) learn(settled.readBack.row);
 * ```
 */
export type ReadBack =
  | { readonly ok: true; readonly row: StoredItem | undefined }
  | { readonly ok: false; readonly error: unknown };

/**
 * The settled outcome of one write:
 * - `applied`: the write is in the row (`item`), from its answer, a failed condition against a row
 *   carrying its write id, or the row read back after an error;
 * - `refused`: its condition failed against someone else's row (`result.current`);
 * - `unknown`: it failed with `error`; `readBack` is absent when `readBackOn` said not to read,
 *   else what the read found (a row not carrying this write: it did not apply, or was overwritten
 *   since).
 *
 * @example
 * ```ts
 * const s = await settledWrite(backend, input, { readBackOn: readBackIfAmbiguous });
 * if (s.outcome === 'applied') return s.item;
 * ```
 */
export type Settled =
  | { readonly outcome: 'applied'; readonly item: StoredItem }
  | { readonly outcome: 'refused'; readonly result: Extract<WriteResult, { readonly ok: false }> }
  | { readonly outcome: 'unknown'; readonly error: unknown; readonly readBack?: ReadBack };

/**
 * One write whose outcome is settled even when the store's answer was lost: "an ambiguous write,
 * settle it by reading back". The write is tagged with a fresh write id (unless
 * `options.isOurs` recognises it otherwise); an error that `options.readBackOn` selects is
 * settled by one strongly consistent read of the row: the write's mark there means it applied.
 * The caller decides what an `unknown` outcome means for it (an `AmbiguousWriteError`, a retry, a
 * lost lease).
 *
 * @example
 * ```ts
 * const s = await settledWrite(backend, { partition: 'p', key: 'k', payload: 'v' }, {
 *   readBackOn: readBackIfAmbiguous,
 * });
 * if (s.outcome === 'unknown') throw s.error;
 * ```
 */
export async function settledWrite(
  backend: Backend,
  input: WriteInput,
  options: SettleOptions,
): Promise<Settled> {
  const writeId = options.isOurs ? undefined : newWriteId();
  const sent: WriteInput =
    writeId === undefined ? input : { ...input, fields: { ...input.fields, [WRITE_ID_FIELD]: writeId } };
  const ours = options.isOurs ?? ((item: StoredItem) => item.fields[WRITE_ID_FIELD] === writeId);
  let result: WriteResult;
  try {
    result = await backend.write(sent);
  } catch (error) {
    if (!options.readBackOn(error)) return { outcome: 'unknown', error };
    let row: StoredItem | undefined;
    try {
      row = await backend.get(input.partition, input.key, { consistent: true });
    } catch (readError) {
      return { outcome: 'unknown', error, readBack: { ok: false, error: readError } };
    }
    options.onAnswer?.();
    if (row && ours(row)) return { outcome: 'applied', item: row };
    return { outcome: 'unknown', error, readBack: { ok: true, row } };
  }
  options.onAnswer?.();
  if (result.ok) return { outcome: 'applied', item: result.item };
  // a resent write whose first attempt applied (answer lost) is refused by its own row
  if (writeId !== undefined && result.current && ours(result.current))
    return { outcome: 'applied', item: result.current };
  return { outcome: 'refused', result };
}
