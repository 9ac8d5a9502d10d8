import type { WorkerLine } from '../workers/common.js';
import type { WorkerConfig } from '../workers/config.js';
import type { Target } from './nemesis.js';
import { WorkerProcess } from './worker-process.js';

/**
 * A set of workers of one workload: starts them, replaces killed ones (new id, new config from
 * `make`), and keeps every line any of them printed.
 *
 * @example
 * ```ts
 * const g = new WorkerGroup('fenced', (n) => counterConfig(n), (line) => nemesis.observe(g, line));
 * g.start(3);
 * ```
 */
export class WorkerGroup implements Target {
  readonly name: string;
  readonly lines: WorkerLine[] = [];
  readonly all: WorkerProcess[] = [];
  readonly pauseMs: readonly [number, number];
  readonly killable: boolean;
  readonly #make: (incarnation: number) => WorkerConfig;
  readonly #onLine: (line: WorkerLine) => void;
  #live: WorkerProcess[] = [];
  #incarnation = 0;
  #closed = false;

  constructor(
    name: string,
    options: { pauseMs: readonly [number, number]; killable: boolean },
    make: (incarnation: number) => WorkerConfig,
    onLine: (group: WorkerGroup, line: WorkerLine) => void,
  ) {
    this.name = name;
    this.pauseMs = options.pauseMs;
    this.killable = options.killable;
    this.#make = make;
    this.#onLine = (line) => {
      this.lines.push(line);
      onLine(this, line);
    };
  }

  /** Starts `count` workers. */
  start(count: number): void {
    for (let i = 0; i < count; i++) this.#spawn();
  }

  workers(): readonly WorkerProcess[] {
    return this.#live.filter((w) => w.running);
  }

  /** Adds a line that no worker printed (the nemesis's notes), without passing it on. */
  note(line: WorkerLine): void {
    this.lines.push(line);
  }

  respawn(killed: WorkerProcess): void {
    this.#live = this.#live.filter((w) => w !== killed);
    if (!this.#closed) this.#spawn();
  }

  /** No more replacements; waits up to `graceMs` for workers to finish on their own, then stops them. */
  async close(graceMs: number): Promise<void> {
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.all(this.all.map((w) => w.exited)), late]);
    clearTimeout(timer);
    await Promise.all(this.all.map((w) => w.stop()));
  }

  /** Last resort, synchronous. */
  killNow(): void {
    for (const w of this.all) w.killNow();
  }

  #spawn(): void {
    const worker = WorkerProcess.spawn(this.#make(this.#incarnation++), this.#onLine);
    this.all.push(worker);
    this.#live.push(worker);
  }
}
