import { sleepWith } from '../src/contract/clock/system.js';
import type { Clock, TimerHandle } from '../src/index.js';
import type { Owner, World } from './world.js';

/** The wall clock every process would show if it were exact: 2023-11-14T22:13:20Z at true time 0. */
export const EPOCH_MS = 1_700_000_000_000;

/** The shortest true-time delay of a positive timer (1 ns). */
const MIN_DELAY_MS = 1e-6;

/**
 * One simulated process's view of time. Its monotonic clock runs at `rate` times true time
 * (drift); its wall clock runs at the same rate plus an error that jumps when the simulator says
 * (skew, NTP steps). Timers are world events owned by the process: they stall while it is paused
 * and never fire once it crashed.
 *
 * @example
 * ```ts
 * const clock = new SimClock(world, owner, { rate: 1.0001, wallErrorMs: 120, monoStartMs: 5_000 });
 * const store = new Dynastore({ backend, clock });
 * ```
 */
export class SimClock implements Clock {
  readonly #world: World;
  readonly #owner: Owner;
  readonly rate: number;
  readonly #monoStart: number;
  #err: number;

  constructor(world: World, owner: Owner, o: { rate: number; wallErrorMs: number; monoStartMs: number }) {
    this.#world = world;
    this.#owner = owner;
    this.rate = o.rate;
    this.#monoStart = o.monoStartMs - world.now * o.rate;
    this.#err = 0;
    this.setWallError(o.wallErrorMs);
  }

  now(): number {
    return EPOCH_MS + this.#world.now * this.rate + this.#err;
  }

  monotonic(): number {
    return this.#monoStart + this.#world.now * this.rate;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    // At least 1 ns of true time for any positive delay: a delay below the float resolution of
    // `world.now` (about 4e-12 ms at 20 s) would fire at the same instant, with this monotonic
    // clock not moved, and a loop sleeping "what is left" would spin forever.
    const delay = ms > 0 ? Math.max(ms / this.rate, MIN_DELAY_MS) : 0;
    return this.#world.at(this.#world.now + delay, this.#owner, fn);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** How far this wall clock is from true time now (ms, positive: ahead). */
  wallErrorMs(): number {
    return this.now() - (EPOCH_MS + this.#world.now);
  }

  /** Steps the wall clock so that its error is `errorMs` (a skew at start, or an NTP jump). */
  setWallError(errorMs: number): void {
    this.#err += errorMs - this.wallErrorMs();
  }
}
