import { createHash, type Hash } from 'node:crypto';
import type { World } from './world.js';

/**
 * The history of one run, one line per event (true time first), hashed as it grows: two runs of
 * one seed must produce the same hash. Lines are kept for the failure trace.
 *
 * @example
 * ```ts
 * const log = new SimLog(world);
 * log.add('p1 acquire counter');
 * log.digest(); // 'c0ffee...'
 * ```
 */
export class SimLog {
  readonly lines: string[] = [];
  readonly #world: World;
  readonly #hash: Hash = createHash('sha256');
  #digest: string | undefined;

  constructor(world: World) {
    this.#world = world;
  }

  add(text: string): void {
    const line = `${this.#world.now.toFixed(3)} ${text}`;
    this.lines.push(line);
    this.#hash.update(line);
    this.#hash.update('\n');
  }

  /** The hash of every line so far (ends the log: call once, at the end). */
  digest(): string {
    this.#digest ??= this.#hash.digest('hex');
    return this.#digest;
  }
}
