import type { ChangeRecord, StoredItem } from '../src/index.js';
import type { MemoryBackend } from '../src/testing.js';
import type { FaultRates } from './faults.js';
import type { SimLog } from './log.js';
import type { MutantName } from './mutants.js';
import type { Owner, World } from './world.js';

/**
 * What every process's connection to the store shares: the one store, the event queue, the
 * seeded randomness of the network, the fault rates, the history log, the mutant under test, and
 * the change feed's fan-out (one subscription to the store, a delayed copy per process).
 *
 * @example
 * ```ts
 * const net = new Network(world, new MemoryBackend({ clock }), rand, drawFaults(rand), log, undefined);
 * ```
 */
export class Network {
  readonly world: World;
  readonly store: MemoryBackend;
  readonly rand: () => number;
  readonly rates: FaultRates;
  readonly log: SimLog;
  readonly mutant: MutantName | undefined;
  /** Faults switched off (the quiet phase at the end of a run). */
  calm = false;
  /** Change records committed so far (their commit order). */
  commits = 0;
  /** Evidence of what the run exercised: takeovers of a live row, grants under rule (b), reaped rows. */
  readonly stats = {
    takeovers: 0,
    ruleBGrants: 0,
    reapedRows: 0,
    sessionTakeovers: 0,
    slowRequests: 0,
    lateApplied: 0,
    feedErrors: 0,
    feedReplays: 0,
    feedLost: 0,
    /** Locks (and the election) held by a dead process when the faults stopped: the liveness probe's first part. */
    deadHeldProbed: 0,
  };
  /** Which process incarnation each grant (`partition/key|token`) that applied was sent by. */
  readonly grantedBy = new Map<string, Owner>();
  /** Change records a process's feed lost: `name|partition/key|version` (a watch must resync past them). */
  readonly lostRecords = new Set<string>();
  readonly #feeds = new Set<{ push(records: readonly ChangeRecord[], first: number): void }>();

  constructor(
    world: World,
    store: MemoryBackend,
    rand: () => number,
    rates: FaultRates,
    log: SimLog,
    mutant: MutantName | undefined,
  ) {
    this.world = world;
    this.store = store;
    this.rand = rand;
    this.rates = rates;
    this.log = log;
    this.mutant = mutant;
    store.changes().subscribe(
      (records) => {
        const first = this.commits;
        for (const r of records) {
          this.commits++;
          this.#count(r);
          log.add(`commit ${describeChange(r)}`);
        }
        for (const feed of [...this.#feeds]) feed.push(records, first);
      },
      () => undefined,
    );
  }

  #count(r: ChangeRecord): void {
    if (r.type === 'delete') {
      if (r.cause === 'expiry') this.stats.reapedRows++;
      return;
    }
    const before = r.previous?.fields.owner;
    const after = r.item?.fields.owner;
    if (typeof before === 'string' && typeof after === 'string' && before !== after) this.stats.takeovers++;
    // a lock row held under a session, granted to another holder (another session, or a per-lock lease)
    const session = r.previous?.fields.session;
    if (typeof session === 'string' && typeof before === 'string' && typeof after === 'string') {
      if (before !== after || r.item?.fields.session !== session) this.stats.sessionTakeovers++;
    }
  }

  /** Adds a process's feed to the fan-out; returns its removal. */
  attach(feed: { push(records: readonly ChangeRecord[], first: number): void }): () => void {
    this.#feeds.add(feed);
    return () => this.#feeds.delete(feed);
  }

  /** A grant of `partition/key` with `token`, sent by `owner`, applied. */
  granted(partition: string, key: string, token: bigint, owner: Owner): void {
    this.grantedBy.set(`${partition}/${key}|${token}`, owner);
  }

  /** Process `name`'s feed lost `r`. */
  lost(name: string, r: ChangeRecord): void {
    this.stats.feedLost++;
    const item = r.type === 'put' ? r.item : r.previous;
    this.lostRecords.add(`${name}|${r.partition}/${r.key}|${item?.version ?? 0}`);
    this.log.add(`${name} feed lost ${describeChange(r)}`);
  }

  chance(p: number): boolean {
    return !this.calm && this.rand() < p;
  }
}

/**
 * One line for a change record: type, row, version, and the lock fields when present.
 *
 * @example
 * ```ts
 * describeChange(record); // 'put _lock/job/job v7 o=p1.1/lease t=1700000001000000'
 * ```
 */
export function describeChange(r: ChangeRecord): string {
  const item: StoredItem | undefined = r.type === 'put' ? r.item : r.previous;
  return `${r.type} ${r.partition}/${r.key} ${describeItem(item)}${r.type === 'delete' ? ` ${r.cause}` : ''}`;
}

/**
 * A row in a few words: version, payload, owner and token (write ids left out: they are opaque tags).
 *
 * @example
 * ```ts
 * describeItem(item); // 'v3 p2.1.kv0-17'
 * ```
 */
export function describeItem(item: StoredItem | undefined): string {
  if (!item) return '-';
  const f = item.fields;
  const lock = f.token !== undefined ? ` o=${String(f.owner ?? '')} t=${String(f.token)}` : '';
  const payload = item.payload !== undefined && item.payload.length <= 40 ? ` ${item.payload}` : '';
  return `v${item.version}${lock}${payload}`;
}
