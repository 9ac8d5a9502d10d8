import type { Observable } from 'rxjs';
import { systemClock } from '../contract/clock/system.js';
import type { Clock, TimerHandle } from '../contract/clock/types.js';
import { ValidationError } from '../contract/errors/store.js';
import { checkName } from '../contract/validate.js';
import { resolveAcquireOptions } from '../lock/internal.js';
import type { Leadership } from './leadership.js';
import type { Leader } from './observe.js';

/**
 * The callbacks of `election.run`, in the style of Kubernetes' leader election.
 *
 * @example
 * ```ts
 * const callbacks: LeaderCallbacks = {
 *   onStartedLeading: async (signal) => { while (!signal.aborted) await work(signal); },
 *   onStoppedLeading: () => console.log('stopped leading'),
 *   onNewLeader: (id, term) => console.log(`leader: ${id} (term ${term})`),
 * };
 * ```
 */
export interface LeaderCallbacks {
  /**
   * Called once elected. `signal` aborts when leadership is lost or the run is stopped: the work
   * must stop then. When the returned promise settles, the run resigns and ends; when the run is
   * stopped or leadership lost, the run first waits (at most `leaseMs`) for the work to settle.
   */
  onStartedLeading(signal: AbortSignal, leadership: Leadership): unknown;
  /** Called exactly once when the run ends, whether or not it led, after resigning. */
  onStoppedLeading?(): unknown;
  /**
   * Called each time a new term starts, whoever leads it (this process included). It follows
   * `election.observe()`: if that fails (on DynamoDB: no `@aws-sdk/client-dynamodb-streams`, a
   * table without a stream, a Streams endpoint that never answers), the run ends with its error.
   */
  onNewLeader?(id: string, term: bigint): void;
}

/**
 * Options of `election.run`.
 *
 * @example
 * ```ts
 * await election.run('node-1', callbacks, { signal: shutdown.signal });
 * ```
 */
export interface LeaderRunOptions {
  /** Stops the run (campaigning or leading); it resigns and resolves with `ended: 'aborted'`. */
  signal?: AbortSignal;
  /** Give up campaigning with `LockTimeoutError` after this long. @default Infinity */
  waitMs?: number;
}

/**
 * How `election.run` ended.
 *
 * @example
 * ```ts
 * const { ended, term } = await election.run('node-1', callbacks);
 * if (ended === 'lost') process.exitCode = 1;
 * ```
 */
export interface LeaderRunResult {
  /** The term this process led, when it was elected. */
  readonly term: bigint | undefined;
  /** `finished`: the work returned; `lost`: leadership was lost; `aborted`: `signal` stopped it. */
  readonly ended: 'finished' | 'lost' | 'aborted';
}

/**
 * What the runner needs from an election.
 *
 * @example
 * ```ts
 * await runForLeader(store.election('scheduler'), 'node-1', callbacks);
 * ```
 */
export interface Campaigner {
  campaign(candidateId: string, options?: { signal?: AbortSignal; waitMs?: number }): Promise<Leadership>;
  observe(): Observable<Leader | undefined>;
}

/**
 * `election.run`: campaign, lead with callbacks, resign; see {@link LeaderCallbacks}. Rejects when
 * `onStartedLeading` or `onNewLeader` throws (after resigning and `onStoppedLeading`), when
 * campaigning fails other than by `signal`, or, with `onNewLeader`, when the election's change
 * feed (`observe()`) fails: that callback could no longer be called on every new term.
 *
 * @example
 * ```ts
 * const result = await runForLeader(election, 'node-1', { onStartedLeading: work });
 * ```
 */
export async function runForLeader(
  election: Campaigner,
  candidateId: string,
  callbacks: LeaderCallbacks,
  options?: LeaderRunOptions,
  /** The election's clock: it times the wait for work that ignores its signal. */
  clock: Clock = systemClock,
): Promise<LeaderRunResult> {
  checkName('candidateId', candidateId, 512);
  const cb = checkCallbacks(callbacks);
  const o = resolveAcquireOptions(options, 'run');
  const stop = new AbortController();
  const onAbort = () => stop.abort(o.signal?.reason);
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });

  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
    stop.abort(error);
  };
  let lastTerm: bigint | undefined;
  const watching = cb.onNewLeader
    ? election.observe().subscribe({
        next: (leader) => {
          if (!leader || leader.term === lastTerm) return;
          lastTerm = leader.term;
          try {
            cb.onNewLeader?.(leader.id, leader.term);
          } catch (error) {
            fail(error);
          }
        },
        // onNewLeader is promised every new term, which only the change feed can tell: when the
        // feed fails (no Streams package, no stream, an endpoint that never answers, an unreadable
        // row), the run cannot keep that promise and ends with the feed's error.
        error: (error: unknown) => fail(error),
      })
    : undefined;

  let leadership: Leadership | undefined;
  let ended: LeaderRunResult['ended'] = 'aborted';
  try {
    try {
      leadership = await election.campaign(candidateId, {
        signal: stop.signal,
        ...(o.waitMs !== undefined && { waitMs: o.waitMs }),
      });
    } catch (error) {
      if (!stop.signal.aborted) throw error;
    }
    if (leadership && !stop.signal.aborted) ended = await lead(leadership, cb, stop.signal, clock);
  } catch (error) {
    fail(error);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    watching?.unsubscribe();
    await leadership?.resign().catch(() => undefined);
    try {
      await cb.onStoppedLeading?.();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
  return { term: leadership?.term, ended };
}

/** Runs the work until it settles, leadership is lost, or `stop` aborts. */
async function lead(
  leadership: Leadership,
  cb: LeaderCallbacks,
  stop: AbortSignal,
  clock: Clock,
): Promise<LeaderRunResult['ended']> {
  const cleanups: (() => void)[] = [];
  const when = (signal: AbortSignal, value: 'lost' | 'aborted') =>
    new Promise<'lost' | 'aborted'>((resolve) => {
      if (signal.aborted) resolve(value);
      const listener = () => resolve(value);
      signal.addEventListener('abort', listener, { once: true });
      cleanups.push(() => signal.removeEventListener('abort', listener));
    });
  const lost = when(leadership.signal, 'lost');
  const stopped = when(stop, 'aborted');
  // The work's signal aborts on loss and on stop alike; the run waits for the work to notice
  // before it resigns and calls onStoppedLeading, so nothing of it runs after the run ended.
  const workSignal = AbortSignal.any([leadership.signal, stop]);
  const work = Promise.resolve()
    .then(() => cb.onStartedLeading(workSignal, leadership))
    .then(() => 'finished' as const);
  try {
    const ended = await Promise.race([stopped, lost, work]);
    if (ended !== 'finished') await settledWithin(work, leadership.lease.leaseMs, clock);
    return ended;
  } finally {
    // The work's own failure after leadership ended is not the run's.
    work.catch(() => undefined);
    for (const cleanup of cleanups) cleanup();
  }
}

/** Waits for `work` to settle, at most `ms` on `clock` (a work function that ignores its signal cannot hold the run forever). */
async function settledWithin(work: Promise<unknown>, ms: number, clock: Clock): Promise<void> {
  let timer: TimerHandle | undefined;
  await Promise.race([
    work.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = clock.setTimeout(resolve, ms, { keepAlive: true });
    }),
  ]);
  timer?.cancel();
}

const CALLBACK_NAMES = ['onStartedLeading', 'onStoppedLeading', 'onNewLeader'] as const;

function checkCallbacks(callbacks: LeaderCallbacks): LeaderCallbacks {
  if (typeof callbacks !== 'object' || callbacks === null) {
    throw new ValidationError('run.callbacks', 'must be an object with onStartedLeading');
  }
  for (const name of Object.keys(callbacks)) {
    if (!(CALLBACK_NAMES as readonly string[]).includes(name)) {
      throw new ValidationError(
        `run.callbacks.${name}`,
        `unknown callback (known: ${CALLBACK_NAMES.join(', ')})`,
      );
    }
  }
  for (const name of CALLBACK_NAMES) {
    const fn: unknown = callbacks[name];
    if (fn === undefined && name !== 'onStartedLeading') continue;
    if (typeof fn !== 'function') throw new ValidationError(`run.callbacks.${name}`, 'must be a function');
  }
  return callbacks;
}
