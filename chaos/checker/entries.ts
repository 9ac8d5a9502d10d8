import type { Operation } from './history.js';

/** A call or return of one operation, in a doubly linked list ordered by time. */
export interface Entry {
  /** Index into the key's operation list (-1 for the list head). */
  readonly op: number;
  readonly isCall: boolean;
  readonly time: number;
  /** The call's return entry (none for info operations without a deadline). */
  match: Entry | undefined;
  prev: Entry | undefined;
  next: Entry | undefined;
}

/**
 * The search list: a call entry per operation and a return entry per `ok` operation (at its
 * completion) and per `info` operation with a finite deadline (`infoAt + horizon`). Ties put calls
 * first, so operations that touch in time count as concurrent. Returns the sentinel head.
 */
export function buildEntries<I, O>(ops: readonly Operation<I, O>[], horizon: number): Entry {
  const entries: Entry[] = [];
  for (const [i, op] of ops.entries()) {
    const call: Entry = {
      op: i,
      isCall: true,
      time: op.call,
      match: undefined,
      prev: undefined,
      next: undefined,
    };
    entries.push(call);
    const end = op.status === 'ok' ? op.ret : (op.infoAt ?? Number.POSITIVE_INFINITY) + horizon;
    if (Number.isFinite(end)) {
      const ret: Entry = { op: i, isCall: false, time: end, match: call, prev: undefined, next: undefined };
      call.match = ret;
      entries.push(ret);
    }
  }
  entries.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.op - b.op);
  const head: Entry = {
    op: -1,
    isCall: false,
    time: Number.NEGATIVE_INFINITY,
    match: undefined,
    prev: undefined,
    next: undefined,
  };
  let last = head;
  for (const e of entries) {
    e.prev = last;
    last.next = e;
    last = e;
  }
  return head;
}

/** Takes a call (and its return) out of the list. */
export function lift(call: Entry): void {
  unlink(call);
  if (call.match) unlink(call.match);
}

/** Puts back what {@link lift} took out (in reverse order, so links are restored exactly). */
export function unlift(call: Entry): void {
  if (call.match) relink(call.match);
  relink(call);
}

function unlink(e: Entry): void {
  if (e.prev) e.prev.next = e.next;
  if (e.next) e.next.prev = e.prev;
}

function relink(e: Entry): void {
  if (e.prev) e.prev.next = e;
  if (e.next) e.next.prev = e;
}
