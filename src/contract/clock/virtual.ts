import { sleepWith } from './system.js';
import type { Clock, TimerHandle, TimerOptions } from './types.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to: `advance(ms)` fires due timers in order and lets the
 * promise callbacks they start settle between them. Use it with `MemoryBackend` to test lease
 * timing without waiting. `skewed(ms)` gives a view whose wall clock is off by `ms` (monotonic
 * time and timers are shared), to simulate a process with a wrong clock.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const store = new Dynastore({ backend: new MemoryBackend({ clock }), clock });
 * const lease = await store.lock('job', { leaseMs: 1_000 }).acquire();
 * await clock.advance(5_000); // heartbeats ran five times, in no real time
 * ```
 */
export class VirtualClock implements Clock {
  #mono = 0;
  #wall: number;
  #seq = 0;
  #timers: Pending[] = [];

  /** @param startEpochMs wall-clock start. @default 1_700_000_000_000 */
  constructor(startEpochMs = 1_700_000_000_000) {
    this.#wall = startEpochMs;
  }

  now(): number {
    return this.#wall + this.#mono;
  }

  monotonic(): number {
    return this.#mono;
  }

  setTimeout(fn: () => void, ms: number, _options?: TimerOptions): TimerHandle {
    const entry: Pending = { at: this.#mono + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(entry);
    return {
      cancel: () => {
        this.#timers = this.#timers.filter((t) => t !== entry);
      },
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** Number of timers waiting to fire (for asserting that nothing is left running). */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.#mono + ms;
    await flushMicrotasks();
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers[0];
      if (!next || next.at > target) break;
      this.#timers.shift();
      this.#mono = Math.max(this.#mono, next.at);
      next.fn();
      await flushMicrotasks();
    }
    this.#mono = target;
    await flushMicrotasks();
  }

  /** Advances in steps of `stepMs` until `predicate()` holds or `maxMs` passed; returns whether it held. */
  async advanceUntil(predicate: () => boolean, maxMs: number, stepMs = 10): Promise<boolean> {
    let spent = 0;
    while (!predicate()) {
      if (spent >= maxMs) return false;
      await this.advance(stepMs);
      spent += stepMs;
    }
    return true;
  }

  /** Jumps the wall clock (not monotonic time), like an NTP correction. */
  jumpWall(ms: number): void {
    this.#wall += ms;
  }

  /** A view of this clock whose wall time is off by `skewMs`; timers and monotonic time are shared. */
  skewed(skewMs: number): Clock {
    return {
      now: () => this.now() + skewMs,
      monotonic: () => this.monotonic(),
      setTimeout: (fn, ms, options) => this.setTimeout(fn, ms, options),
      sleep: (ms, signal) => this.sleep(ms, signal),
    };
  }
}

/** Lets queued promise callbacks (and the ones they queue, a few levels deep) run. */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}
