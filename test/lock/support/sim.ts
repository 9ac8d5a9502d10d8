import type {
  Backend,
  CallEvent,
  ChangeFeed,
  DeleteInput,
  DeleteResult,
  QueryInput,
  QueryPage,
  StoredItem,
  TransactItem,
  TransactResult,
  WriteInput,
  WriteResult,
} from '../../../src/contract/backend.js';
import { sleepWith } from '../../../src/contract/clock/system.js';
import type { Clock } from '../../../src/contract/clock/types.js';
import { VirtualClock } from '../../../src/contract/clock/virtual.js';
import { BackendError } from '../../../src/contract/errors/store.js';
import { Dynastore } from '../../../src/facade/dynastore.js';
import { MemoryBackend } from '../../../src/memory/backend.js';

export type Op = 'get' | 'write' | 'delete' | 'query' | 'transact';

/** A fault: `before` throws without applying; `after` applies, then throws (an ambiguous write). */
export interface Fault {
  readonly op: Op;
  readonly when: 'before' | 'after';
  /** How many calls it hits (default 1). */
  count?: number;
  /** Only calls whose input matches. */
  readonly match?: (input: unknown) => boolean;
  readonly error?: () => Error;
}

/**
 * Wraps a backend to inject errors, ambiguous writes and latency (on the virtual clock), and to
 * count calls. Each store in a simulation gets its own wrapper over one shared MemoryBackend.
 */
export class FaultyBackend implements Backend {
  readonly kind = 'faulty';
  readonly calls: { op: Op; input: unknown }[] = [];
  faults: Fault[] = [];
  /** Virtual ms each call takes (before it reaches the inner backend). */
  latencyMs = 0;
  /** When set, every call throws this (a network partition for this process). */
  down: (() => Error) | undefined;

  constructor(
    readonly inner: Backend,
    readonly clock: Clock,
  ) {}

  count(op: Op): number {
    return this.calls.filter((c) => c.op === op).length;
  }

  get(partition: string, key: string, options?: { consistent?: boolean }): Promise<StoredItem | undefined> {
    return this.#run('get', { partition, key }, () => this.inner.get(partition, key, options));
  }
  write(input: WriteInput): Promise<WriteResult> {
    return this.#run('write', input, () => this.inner.write(input));
  }
  delete(input: DeleteInput): Promise<DeleteResult> {
    return this.#run('delete', input, () => this.inner.delete(input));
  }
  query(input: QueryInput): Promise<QueryPage> {
    return this.#run('query', input, () => this.inner.query(input));
  }
  transact(items: readonly TransactItem[]): Promise<TransactResult> {
    return this.#run('transact', items, () => this.inner.transact(items));
  }
  changes(): ChangeFeed {
    return this.inner.changes();
  }

  async #run<T>(op: Op, input: unknown, call: () => Promise<T>): Promise<T> {
    this.calls.push({ op, input });
    if (this.latencyMs > 0) await this.clock.sleep(this.latencyMs);
    if (this.down) throw this.down();
    const fault = this.faults.find((f) => f.op === op && (f.match?.(input) ?? true) && (f.count ?? 1) > 0);
    if (fault) fault.count = (fault.count ?? 1) - 1;
    if (fault?.when === 'before') throw (fault.error ?? transient)();
    const result = await call();
    if (fault?.when === 'after') throw (fault.error ?? timeout)();
    return result;
  }
}

export const transient = () => new BackendError('UpdateItem', 'ThrottlingException: Rate exceeded', true);
export const timeout = () =>
  new BackendError('UpdateItem', 'TimeoutError: socket hang up after the request was sent', true);

/** A renewal write (not a grant, not a release): sets leaseUntil without owner. */
export const isRenewal = (input: unknown) => {
  const fields = (input as WriteInput).fields ?? {};
  return 'leaseUntil' in fields && !('owner' in fields);
};
export const isRelease = (input: unknown) => (input as WriteInput).fields?.owner === null;
export const isGrant = (input: unknown) => typeof (input as WriteInput).fields?.owner === 'string';

/**
 * A view of `clock` whose wall clock is off by `skewMs` and whose monotonic clock (and timers) run
 * `rate` times as fast as true time (1.005: 5 000 ppm fast), from monotonic 0 on.
 */
export function driftedClock(clock: VirtualClock, skewMs: number, rate: number): Clock {
  const view: Clock = {
    now: () => clock.now() + skewMs,
    monotonic: () => clock.monotonic() * rate,
    // a timer of `ms` on this clock fires once this clock has advanced at least `ms`
    setTimeout: (fn, ms, options) => clock.setTimeout(fn, Math.ceil(Math.max(0, ms) / rate), options),
    sleep: (ms, signal) => sleepWith(view, ms, signal),
  };
  return view;
}

/**
 * One memory table under one virtual clock; `store()` makes a process (its own wrapper, wall-clock
 * skew and, when `rate` is not 1, a monotonic clock drifting at that rate).
 */
export function simulation(options: { start?: number } = {}) {
  const clock = new VirtualClock(options.start);
  const events: CallEvent[] = [];
  const memory = new MemoryBackend({ clock, onCall: (e) => events.push(e) });
  const store = (skewMs = 0, rate = 1) => {
    const pclock =
      rate !== 1 ? driftedClock(clock, skewMs, rate) : skewMs === 0 ? clock : clock.skewed(skewMs);
    const backend = new FaultyBackend(memory, pclock);
    return { store: new Dynastore({ backend, clock: pclock }), backend };
  };
  return { clock, memory, events, store };
}

/** Collects unhandled rejections while a test runs. */
export function trackUnhandled(): { readonly errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  const onRejection = (err: unknown) => errors.push(err);
  process.on('unhandledRejection', onRejection);
  return { errors, stop: () => process.off('unhandledRejection', onRejection) };
}

/** Settles a promise without awaiting it, so virtual time can move while it is pending. */
export function settle<T>(p: Promise<T>): {
  readonly done: boolean;
  readonly value?: T;
  readonly error?: unknown;
} {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  p.then(
    (value) => {
      state.done = true;
      state.value = value;
    },
    (error: unknown) => {
      state.done = true;
      state.error = error;
    },
  );
  return state;
}
