import { monoNow } from '../util/clock.js';
import { between, prng } from '../util/random.js';
import type { WorkerLine } from '../workers/common.js';
import type { WorkerProcess } from './worker-process.js';

/** A group of workers the nemesis attacks together (e.g. the fenced counter workers). */
export interface Target {
  readonly name: string;
  /** Live workers of the group (the runner replaces killed ones). */
  workers(): readonly WorkerProcess[];
  /** Pause length range (ms). */
  readonly pauseMs: readonly [number, number];
  /** Whether the nemesis may kill its workers (the runner then respawns one). */
  readonly killable: boolean;
  /** Called after a kill, to start a replacement. */
  respawn?(killed: WorkerProcess): void;
  /** Records a line of the nemesis's own (a `killed` note) among the group's lines. */
  note?(line: WorkerLine): void;
}

/** Events after which a worker holds a lock or leads (until one of {@link LETS_GO}). */
const HOLDS = new Set(['granted', 'elected']);
const LETS_GO = new Set(['release', 'resign', 'acquire', 'campaign']);

/** Timing of the nemesis. */
export interface NemesisOptions {
  readonly seed: number;
  /** Mean gap between two pauses of one target. */
  readonly pauseEveryMs: number;
  /** Mean gap between two kills of one target. */
  readonly killEveryMs: number;
  /** Replacement start delay after a kill. */
  readonly respawnAfterMs: readonly [number, number];
}

type Armed = 'pause' | 'kill-in-work' | 'kill-in-write';

/**
 * The nemesis: SIGSTOPs a lock holder right after it read the counter (inside its critical
 * section) for longer than its lease, then SIGCONTs it; SIGKILLs holders inside the critical
 * section or while their write is in flight, and starts replacements. Workers are chosen by the
 * events they print, so a pause always lands on a holder. SIGKILLs whoever holds a lock or leads,
 * at random times ({@link Nemesis.killHolders}). Every kill is noted in the group's lines
 * (`killed`, with the machine's monotonic time just before the signal). Counts what it did.
 *
 * @example
 * ```ts
 * const nemesis = new Nemesis(options, counts);
 * nemesis.attack(fencedTarget);
 * onLine = (line) => nemesis.observe(fencedTarget, line);
 * ...
 * await nemesis.stop();
 * ```
 */
export class Nemesis {
  readonly #o: NemesisOptions;
  readonly #counts: Record<string, number>;
  readonly #rand: () => number;
  readonly #armed = new Map<string, Armed>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #paused = new Set<WorkerProcess>();
  /** Per target: the workers that hold (their last grant is not followed by a release). */
  readonly #holding = new Map<string, Set<string>>();
  #stopped = false;

  constructor(options: NemesisOptions, counts: Record<string, number>) {
    this.#o = options;
    this.#counts = counts;
    this.#rand = prng(options.seed);
  }

  /** Starts arming pauses (and kills, if allowed) for `target` at random intervals. */
  attack(target: Target, options: { pauses: boolean } = { pauses: true }): void {
    if (options.pauses) this.#every(this.#o.pauseEveryMs, () => this.#arm(target, 'pause'));
    if (target.killable) {
      this.#every(this.#o.killEveryMs, () =>
        this.#arm(target, this.#rand() < 0.5 ? 'kill-in-work' : 'kill-in-write'),
      );
    }
  }

  /** Pauses a whole worker at random intervals, whatever it is doing (for the KV and watch workers). */
  pauseAnytime(target: Target, everyMs: number): void {
    this.#every(everyMs, () => {
      const w = target.workers().find((x) => x.running && !x.paused);
      if (w) this.#pause(w, target);
    });
  }

  /**
   * SIGKILLs a worker that holds the lock or leads (by the events it printed), at random
   * intervals of mean `everyMs`; the group starts a replacement. Counted as `kind`.
   */
  killHolders(target: Target, everyMs: number, kind = 'kill'): void {
    this.#every(everyMs, () => {
      const holding = this.#holding.get(target.name);
      const w = target.workers().find((x) => holding?.has(x.id) && x.running && !x.paused);
      if (w) void this.#kill(w, target, kind);
    });
  }

  /** Feeds a worker's event line: a pending attack fires on the matching event. */
  observe(target: Target, line: WorkerLine): void {
    if (HOLDS.has(line.ev) || LETS_GO.has(line.ev)) {
      const holding = this.#holding.get(target.name) ?? new Set<string>();
      this.#holding.set(target.name, holding);
      if (HOLDS.has(line.ev)) holding.add(line.w);
      else holding.delete(line.w);
    }
    const armed = this.#armed.get(target.name);
    if (!armed || this.#stopped) return;
    const fire = armed === 'kill-in-write' ? line.ev === 'write' : line.ev === 'read';
    if (!fire) return;
    const worker = target.workers().find((w) => w.id === line.w);
    if (!worker?.running || worker.paused) return;
    this.#armed.delete(target.name);
    if (armed === 'pause') this.#pause(worker, target);
    else void this.#kill(worker, target);
  }

  /** Stops attacking and resumes every paused worker. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const w of this.#paused) w.resume();
    this.#paused.clear();
  }

  #count(kind: string): void {
    this.#counts[kind] = (this.#counts[kind] ?? 0) + 1;
  }

  #arm(target: Target, what: Armed): void {
    if (!this.#armed.has(target.name)) this.#armed.set(target.name, what);
  }

  #pause(worker: WorkerProcess, target: Target): void {
    if (!worker.pause()) return;
    this.#count('pause');
    this.#paused.add(worker);
    this.#after(between(this.#rand, target.pauseMs[0], target.pauseMs[1]), () => {
      this.#paused.delete(worker);
      worker.resume();
    });
  }

  async #kill(worker: WorkerProcess, target: Target, kind = 'kill'): Promise<void> {
    this.#count(kind);
    this.#holding.get(target.name)?.delete(worker.id);
    target.note?.({ w: worker.id, t: Date.now(), m: monoNow(), ev: 'killed', by: kind });
    await worker.kill();
    this.#after(between(this.#rand, this.#o.respawnAfterMs[0], this.#o.respawnAfterMs[1]), () =>
      target.respawn?.(worker),
    );
  }

  #every(meanMs: number, fn: () => void): void {
    const next = () => {
      if (this.#stopped) return;
      fn();
      this.#after(meanMs * (0.5 + this.#rand()), next);
    };
    this.#after(meanMs * (0.5 + this.#rand()), next);
  }

  #after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (!this.#stopped) fn();
    }, ms);
    this.#timers.add(t);
  }
}
