/**
 * The simulated world's scheduler: one event queue in true (global, virtual) time, shared by every
 * simulated process. Events are tagged with the process incarnation that owns them: a paused
 * process's events wait (in order) until it resumes; a crashed incarnation's events are dropped,
 * so its timers never fire and its in-flight calls never answer. Between two events every promise
 * callback the first one started runs to completion (one `setImmediate` turn), so a run depends
 * on nothing but the seed.
 */

/** Who an event belongs to: a process incarnation, or the network/world itself (`undefined`). */
export interface Owner {
  readonly pid: number;
  readonly incarnation: number;
}

interface Event {
  at: number;
  seq: number;
  owner: Owner | undefined;
  fn: () => void;
  cancelled: boolean;
}

/** A handle to cancel a scheduled event. */
export interface Scheduled {
  cancel(): void;
}

type ProcState = { incarnation: number; alive: boolean; paused: boolean; resumedAt: number; held: Event[] };

/**
 * The event queue and the process table.
 *
 * @example
 * ```ts
 * const world = new World();
 * world.at(10, undefined, () => console.log(world.now));
 * await world.runUntil(100);
 * ```
 */
export class World {
  /** True time, ms since the start of the run. */
  now = 0;
  /** Events fired so far. */
  fired = 0;
  #seq = 0;
  readonly #heap: Event[] = [];
  readonly #procs = new Map<number, ProcState>();

  /** Runs `fn` at true time `at` (never before now), on behalf of `owner`. */
  at(at: number, owner: Owner | undefined, fn: () => void): Scheduled {
    const e: Event = { at: Math.max(at, this.now), seq: this.#seq++, owner, fn, cancelled: false };
    this.#push(e);
    return {
      cancel: () => {
        e.cancelled = true;
      },
    };
  }

  /** Registers (or re-registers after a crash) process `pid` with a new incarnation. */
  spawn(pid: number): Owner {
    const prev = this.#procs.get(pid);
    const incarnation = (prev?.incarnation ?? 0) + 1;
    this.#procs.set(pid, { incarnation, alive: true, paused: false, resumedAt: -1, held: [] });
    return { pid, incarnation };
  }

  /** Kills the current incarnation of `pid`: its queued and future events are dropped. */
  crash(pid: number): void {
    const p = this.#procs.get(pid);
    if (!p) return;
    p.alive = false;
    p.paused = false;
    p.held = [];
  }

  /** Whether `owner` is the live incarnation of its process. */
  alive(owner: Owner): boolean {
    const p = this.#procs.get(owner.pid);
    return p?.alive === true && p.incarnation === owner.incarnation;
  }

  /** When `pid` last resumed from a pause (-1: never). */
  resumedAt(pid: number): number {
    return this.#procs.get(pid)?.resumedAt ?? -1;
  }

  isPaused(pid: number): boolean {
    return this.#procs.get(pid)?.paused ?? false;
  }

  /** Stops scheduling `pid`: its events wait until {@link resume}. */
  pause(pid: number): void {
    const p = this.#procs.get(pid);
    if (p) p.paused = true;
  }

  /** Lets `pid` run again: the events it missed fire now, in their original order. */
  resume(pid: number): void {
    const p = this.#procs.get(pid);
    if (!p?.paused) return;
    p.paused = false;
    p.resumedAt = this.now;
    const held = p.held.splice(0);
    for (const e of held) {
      e.at = this.now;
      this.#push(e);
    }
  }

  /** Fires events in order until true time `until` (or the queue runs dry); time ends at `until`. */
  async runUntil(until: number): Promise<void> {
    await turn();
    for (;;) {
      const e = this.#heap[0];
      if (!e || e.at > until) break;
      this.#pop();
      if (e.cancelled) continue;
      if (e.owner) {
        const p = this.#procs.get(e.owner.pid);
        if (!p?.alive || p.incarnation !== e.owner.incarnation) continue;
        if (p.paused) {
          p.held.push(e);
          continue;
        }
      }
      this.now = e.at;
      this.fired++;
      e.fn();
      await turn();
    }
    this.now = Math.max(this.now, until);
  }

  #push(e: Event): void {
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(e, h[parent] as Event)) break;
      h[i] = h[parent] as Event;
      i = parent;
    }
    h[i] = e;
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop() as Event;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && before(h[r] as Event, h[l] as Event) ? r : l;
      if (!before(h[c] as Event, last)) break;
      h[i] = h[c] as Event;
      i = c;
    }
    h[i] = last;
  }
}

function before(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** One macrotask turn: every promise callback queued so far (and those they queue) has run. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
