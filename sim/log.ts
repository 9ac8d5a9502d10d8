import { createHash, type Hash } from 'node:crypto';
import type { World } from './world.js';

/** A session id as `store.session()` makes it: 12 random bytes in hex. */
const SESSION_ID = /\b[0-9a-f]{24}\b/g;

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
  /** Session ids (random, from node:crypto) by order of first appearance: `S1`, `S2`, ... */
  readonly #sessions = new Map<string, string>();
  #digest: string | undefined;

  constructor(world: World) {
    this.#world = world;
  }

  /**
   * Adds a line. A session's id is random (not drawn from the seed), so the log names each one by
   * the order it first appeared in: the history stays a function of the seed.
   */
  add(text: string): void {
    const line = `${this.#world.now.toFixed(3)} ${text.replace(SESSION_ID, (id) => this.#alias(id))}`;
    this.lines.push(line);
    this.#hash.update(line);
    this.#hash.update('\n');
  }

  #alias(id: string): string {
    let name = this.#sessions.get(id);
    if (name === undefined) {
      name = `S${this.#sessions.size + 1}`;
      this.#sessions.set(id, name);
    }
    return name;
  }

  /** The hash of every line so far (ends the log: call once, at the end). */
  digest(): string {
    this.#digest ??= this.#hash.digest('hex');
    return this.#digest;
  }
}
