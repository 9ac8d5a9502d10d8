import { buildEntries, type Entry, lift, unlift } from './entries.js';
import { byKey, type HistoryEvent, type Operation, pairOperations } from './history.js';
import type { Model } from './model.js';
import { VisitedSet } from './visited.js';

/** The verdict on one key's history. `unknown`: the search ran out of its step budget. */
export interface KeyVerdict {
  readonly key: string;
  readonly valid: boolean | 'unknown';
  readonly operations: number;
  /** Operations whose outcome was unknown (`info`). */
  readonly indeterminate: number;
  /** Search steps spent (one per operation tried). */
  readonly steps: number;
  /** When not linearizable: where the search got furthest. */
  readonly counterexample?: Counterexample;
}

/** The furthest any linearization got, and the operation that could not be fitted after it. */
export interface Counterexample {
  /** The end of the longest sequence of operations found legal, in linearization order. */
  readonly linearized: readonly string[];
  /** The model state after them. */
  readonly state: string;
  /** The operation that had to come next (it had completed) but fits no state reachable there. */
  readonly stuckAt: string;
  /** Operations still open at that point. */
  readonly concurrent: readonly string[];
}

/** The verdict on a whole history. */
export interface LinearizabilityResult {
  readonly valid: boolean | 'unknown';
  readonly keys: readonly KeyVerdict[];
  readonly operations: number;
  readonly durationMs: number;
}

/** Options of {@link checkLinearizable}. */
export interface CheckOptions {
  /** Give up on a key (verdict `unknown`) after this many search steps. @default 2_000_000 */
  readonly maxSteps?: number;
  /**
   * An `info` operation takes effect, if ever, no later than this long (in history time units)
   * after its `info` event: the longest a request the caller gave up on can still be in flight.
   * Bounding it keeps the search small when many outcomes are unknown. @default Infinity
   */
  readonly infoHorizon?: number;
  /** Turns off the skipping of read-only operations on backtrack (for testing the checker). */
  readonly noPruning?: boolean;
}

/**
 * Checks a history against a sequential model, key by key (linearizability is compositional):
 * Wing & Gong's search with Lowe's memoization of (set of linearized operations, model state), as
 * in Knossos and Porcupine, plus greedy linearization of read-only operations. `info` operations
 * may take effect at any point after their invoke (up to `infoHorizon` after the caller gave up),
 * or never; `fail` operations are ignored.
 *
 * @example
 * ```ts
 * const r = checkLinearizable(casRegister, events);
 * if (r.valid === false) console.log(r.keys.find((k) => k.valid === false)?.counterexample);
 * ```
 */
export function checkLinearizable<S, I, O>(
  model: Model<S, I, O>,
  events: readonly HistoryEvent<I, O>[],
  options: CheckOptions = {},
): LinearizabilityResult {
  const started = performance.now();
  const ops = pairOperations(events);
  const keys = [...byKey(ops)].map(([key, list]) => checkOperations(model, key, list, options));
  const valid = keys.some((k) => k.valid === false)
    ? false
    : keys.some((k) => k.valid === 'unknown')
      ? 'unknown'
      : true;
  return { valid, keys, operations: ops.length, durationMs: performance.now() - started };
}

interface Frame<S> {
  readonly entry: Entry;
  readonly before: S;
  readonly choices: readonly S[];
  readonly choice: number;
  /**
   * The operation is read-only (a read, a failed compare-and-set): it changes no state wherever
   * it is placed. Linearizing it as soon as it is legal never loses a solution (moving it earlier
   * keeps every state and every real-time constraint), so when everything after it failed, the
   * configuration before it is a dead end too: backtracking skips past it.
   */
  readonly forced: boolean;
}

/**
 * Checks the operations of one key. Exported for callers that pair histories themselves.
 *
 * @example
 * ```ts
 * const verdict = checkOperations(casRegister, 'k', pairOperations(events));
 * ```
 */
export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  key: string,
  ops: readonly Operation<I, O>[],
  options: CheckOptions = {},
): KeyVerdict {
  const maxSteps = options.maxSteps ?? 2_000_000;
  const head = buildEntries(ops, options.infoHorizon ?? Number.POSITIVE_INFINITY);
  const visited = new VisitedSet(ops.length);
  const stack: Frame<S>[] = [];
  let state = model.init();
  let pendingOk = ops.filter((o) => o.status === 'ok').length;
  let steps = 0;
  let best: { depth: number; order: number[]; state: S; stuck?: Entry } = { depth: -1, order: [], state };

  const verdict = (valid: boolean | 'unknown'): KeyVerdict => ({
    key,
    valid,
    operations: ops.length,
    indeterminate: ops.filter((o) => o.status === 'info').length,
    steps,
    ...(valid === false && { counterexample: describe(model, ops, best, head) }),
  });

  /** The states `entry`'s operation can lead to; a deadlined info operation may also be skipped. */
  const choicesOf = (entry: Entry): readonly S[] => {
    const op = ops[entry.op] as Operation<I, O>;
    const next = model.step(state, op.input, op.output);
    if (op.status === 'ok' || !entry.match) return next;
    const here = model.key(state);
    return next.some((s) => model.key(s) === here) ? next : [...next, state];
  };

  /** Tries `choices` from index `from`: pushes a frame and lifts the entry on the first new configuration. */
  const attempt = (entry: Entry, choices: readonly S[], from: number): boolean => {
    const op = ops[entry.op] as Operation<I, O>;
    for (let i = from; i < choices.length; i++) {
      const next = choices[i] as S;
      if (!visited.tryAdd(entry.op, model.key(next))) continue;
      const forced = !options.noPruning && choices.length === 1 && model.readOnly(op.input, op.output);
      stack.push({ entry, before: state, choices, choice: i, forced });
      state = next;
      lift(entry);
      if (op.status === 'ok') pendingOk--;
      return true;
    }
    return false;
  };

  let entry = head.next;
  while (pendingOk > 0) {
    if (++steps > maxSteps) return verdict('unknown');
    if (entry === undefined) return verdict(false); // unreachable: a pending return is always in the list
    if (entry.isCall) {
      entry = attempt(entry, choicesOf(entry), 0) ? head.next : entry.next;
      continue;
    }
    // A return: its operation must be linearized by now, and no candidate before it worked. Backtrack.
    if (stack.length > best.depth)
      best = { depth: stack.length, order: stack.map((f) => f.entry.op), state, stuck: entry };
    let top: Frame<S> | undefined;
    do {
      top = stack.pop();
      if (!top) return verdict(false);
      state = top.before;
      unlift(top.entry);
      if ((ops[top.entry.op] as Operation<I, O>).status === 'ok') pendingOk++;
      visited.remove(top.entry.op);
    } while (top.forced);
    entry = attempt(top.entry, top.choices, top.choice + 1) ? head.next : top.entry.next;
  }
  return verdict(true);
}

function describe<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  best: { order: number[]; state: S; stuck?: Entry },
  head: Entry,
): Counterexample {
  const line = (i: number) => {
    const op = ops[i] as Operation<I, O>;
    const end = op.status === 'ok' ? String(op.ret) : `info@${op.infoAt}`;
    return `p${String(op.process)} ${model.describe(op.input, op.output)} [${op.call}..${end}]`;
  };
  const done = new Set(best.order);
  const stuck = best.stuck?.op;
  const stuckTime = best.stuck?.time ?? Number.POSITIVE_INFINITY;
  const concurrent: string[] = [];
  for (let e = head.next; e; e = e.next) {
    if (e.isCall && !done.has(e.op) && e.time <= stuckTime && e.op !== stuck) concurrent.push(line(e.op));
  }
  return {
    linearized: best.order.slice(-20).map(line),
    state: model.key(best.state),
    stuckAt: stuck === undefined ? 'unknown' : line(stuck),
    concurrent: concurrent.slice(0, 20),
  };
}
