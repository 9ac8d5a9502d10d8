/**
 * The memo of the linearizability search: every (set of linearized operations, model state) pair
 * already explored. The set is a bitset with an incremental Zobrist hash; buckets hold exact
 * copies, so a hash collision never prunes a configuration that was not seen.
 */
export class VisitedSet {
  readonly #bits: Uint32Array;
  readonly #z1: Uint32Array;
  readonly #z2: Uint32Array;
  readonly #seen = new Map<string, Uint32Array[]>();
  #h1 = 0;
  #h2 = 0;

  constructor(size: number) {
    this.#bits = new Uint32Array(Math.ceil(size / 32) || 1);
    this.#z1 = new Uint32Array(size);
    this.#z2 = new Uint32Array(size);
    let seed = 0x9e3779b9;
    const next = () => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (t ^ (t >>> 14)) >>> 0;
    };
    for (let i = 0; i < size; i++) {
      this.#z1[i] = next();
      this.#z2[i] = next();
    }
  }

  /** Configurations remembered so far. */
  get size(): number {
    let n = 0;
    for (const bucket of this.#seen.values()) n += bucket.length;
    return n;
  }

  /**
   * Adds operation `op` to the current set if (set + op, state) is new: remembers it, keeps the
   * bit set and returns true. Otherwise changes nothing and returns false.
   */
  tryAdd(op: number, stateKey: string): boolean {
    this.#flip(op);
    const id = `${this.#h1.toString(36)}.${this.#h2.toString(36)}.${stateKey}`;
    const bucket = this.#seen.get(id);
    if (bucket?.some((b) => equal(b, this.#bits))) {
      this.#flip(op);
      return false;
    }
    if (bucket) bucket.push(this.#bits.slice());
    else this.#seen.set(id, [this.#bits.slice()]);
    return true;
  }

  /** Takes `op` out of the current set (backtracking). */
  remove(op: number): void {
    this.#flip(op);
  }

  #flip(op: number): void {
    const word = op >>> 5;
    this.#bits[word] = (this.#bits[word] as number) ^ (1 << (op & 31));
    this.#h1 = (this.#h1 ^ (this.#z1[op] as number)) >>> 0;
    this.#h2 = (this.#h2 ^ (this.#z2[op] as number)) >>> 0;
  }
}

function equal(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
