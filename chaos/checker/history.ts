/**
 * Histories in the Jepsen style: every operation is an `invoke` event followed, on the same
 * process, by one completion: `ok` (it happened, with this output), `fail` (it certainly did not
 * happen) or `info` (unknown: it may or may not have taken effect, at any time after its invoke).
 */

/** The kind of a history event. */
export type EventType = 'invoke' | 'ok' | 'fail' | 'info';

/** One line of a history. */
export interface HistoryEvent<I = unknown, O = unknown> {
  readonly type: EventType;
  /** Who ran the operation; a process runs one operation at a time. */
  readonly process: number | string;
  /** Real time (any monotonic unit). Omitted: the event's index in the history is used. */
  readonly time?: number;
  /** The object the operation is on (histories are checked per key). */
  readonly key?: string;
  /** The operation (on `invoke`). */
  readonly input?: I;
  /** The result (on `ok`). */
  readonly output?: O;
  /** Why it failed or is unknown (for reports only). */
  readonly error?: string;
}

/** An invoke paired with its completion. `fail` operations are dropped: they never happened. */
export interface Operation<I, O> {
  readonly id: number;
  readonly process: number | string;
  readonly key: string;
  readonly input: I;
  /** `undefined` when the outcome is unknown. */
  readonly output: O | undefined;
  readonly status: 'ok' | 'info';
  readonly call: number;
  /** `Infinity` for `info` operations (and invokes that never completed). */
  readonly ret: number;
  /** For `info` operations: when the caller gave up (`Infinity` if it never completed). */
  readonly infoAt?: number;
}

/** A history that cannot be paired (a process ran two operations at once, or a completion without invoke). */
export class MalformedHistoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedHistoryError';
  }
}

/**
 * Pairs invokes with completions, per process, and checks the history is well formed: a process
 * invokes again only after its previous operation completed, completions follow their invoke in
 * time. An invoke never completed counts as `info`.
 *
 * @example
 * ```ts
 * const ops = pairOperations([
 *   { type: 'invoke', process: 1, input: { f: 'read' } },
 *   { type: 'ok', process: 1, output: { value: null } },
 * ]);
 * ```
 */
export function pairOperations<I, O>(events: readonly HistoryEvent<I, O>[]): Operation<I, O>[] {
  const open = new Map<number | string, { index: number; event: HistoryEvent<I, O>; time: number }>();
  const ops: Operation<I, O>[] = [];
  const push = (
    inv: { event: HistoryEvent<I, O>; time: number; index: number },
    status: 'ok' | 'info',
    output: O | undefined,
    ret: number,
    infoAt?: number,
  ) => {
    if (inv.event.input === undefined)
      throw new MalformedHistoryError(`invoke at index ${inv.index} has no input`);
    ops.push({
      id: ops.length,
      process: inv.event.process,
      key: inv.event.key ?? '',
      input: inv.event.input,
      output,
      status,
      call: inv.time,
      ret,
      ...(infoAt !== undefined && { infoAt }),
    });
  };
  let lastTime = Number.NEGATIVE_INFINITY;
  for (const [index, event] of events.entries()) {
    const time = event.time ?? index;
    if (time < lastTime)
      throw new MalformedHistoryError(`event ${index} goes back in time (${time} < ${lastTime})`);
    lastTime = time;
    const pending = open.get(event.process);
    if (event.type === 'invoke') {
      if (pending) {
        throw new MalformedHistoryError(
          `process ${String(event.process)} invoked at index ${index} while its operation from index ${pending.index} is still running`,
        );
      }
      open.set(event.process, { index, event, time });
      continue;
    }
    if (!pending)
      throw new MalformedHistoryError(
        `${event.type} at index ${index} for process ${String(event.process)} has no invoke`,
      );
    open.delete(event.process);
    if (event.key !== undefined && pending.event.key !== undefined && event.key !== pending.event.key) {
      throw new MalformedHistoryError(
        `completion at index ${index} is for key "${event.key}", its invoke for "${pending.event.key}"`,
      );
    }
    if (event.type === 'ok') push(pending, 'ok', event.output, time);
    else if (event.type === 'info') push(pending, 'info', undefined, Number.POSITIVE_INFINITY, time);
  }
  const never = Number.POSITIVE_INFINITY;
  for (const pending of open.values()) push(pending, 'info', undefined, never, never);
  return ops;
}

/**
 * Splits operations by key, keeping their order.
 *
 * @example
 * ```ts
 * for (const [key, ops] of byKey(pairOperations(events))) check(ops);
 * ```
 */
export function byKey<I, O>(ops: readonly Operation<I, O>[]): Map<string, Operation<I, O>[]> {
  const out = new Map<string, Operation<I, O>[]>();
  for (const op of ops) {
    let list = out.get(op.key);
    if (!list) {
      list = [];
      out.set(op.key, list);
    }
    list.push(op);
  }
  return out;
}
