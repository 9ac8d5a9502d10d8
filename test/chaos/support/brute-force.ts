import { type HistoryEvent, type Operation, pairOperations } from '../../../chaos/checker/history.js';
import type { Model } from '../../../chaos/checker/model.js';

/**
 * The definition of linearizability, checked by enumerating every order (for tiny histories only):
 * some subset of the info operations plus every ok operation, in an order that respects real time,
 * that the model accepts.
 */
export function bruteForceLinearizable<S, I, O>(
  model: Model<S, I, O>,
  events: readonly HistoryEvent<I, O>[],
): boolean {
  const ops = pairOperations(events);
  const mustPrecede = (a: Operation<I, O>, b: Operation<I, O>) => a.ret < b.call;
  const search = (state: S, done: Set<number>): boolean => {
    if (ops.every((o) => o.status === 'info' || done.has(o.id))) return true;
    for (const op of ops) {
      if (done.has(op.id)) continue;
      // Every ok operation that must precede `op` is done (info ones never have to).
      if (ops.some((o) => !done.has(o.id) && o.id !== op.id && mustPrecede(o, op))) continue;
      for (const next of model.step(state, op.input, op.output)) {
        done.add(op.id);
        const found = search(next, done);
        done.delete(op.id);
        if (found) return true;
      }
    }
    return false;
  };
  return search(model.init(), new Set());
}
