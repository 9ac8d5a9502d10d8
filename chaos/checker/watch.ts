/** One line of a watch worker, as the checker needs it. */
export interface WatchLine {
  readonly w: string;
  readonly ev: string;
  readonly watcher?: string;
  readonly sub?: string;
  readonly key?: string;
  readonly cause?: string;
  readonly version?: number;
}

/** What the watch checker found. */
export interface WatchVerdict {
  readonly watchers: number;
  readonly keys: number;
  /** Versions committed over all keys (keys start absent and are never deleted: 1..final). */
  readonly committed: number;
  /** Change events delivered (snapshots excluded), over all watchers. */
  readonly delivered: number;
  /** Committed versions a subscription should have delivered and did not. */
  readonly missed: number;
  /**
   * Events with `cause: 'resync'` that skipped versions (the watch found its feed had lost records
   * and read the key again): the versions they skip are not counted as missed.
   */
  readonly resyncs: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  /** Subscriptions that ended with an error (each watcher then subscribed again). */
  readonly errors: number;
  readonly details: readonly string[];
}

interface Sub {
  /** The worker process. */
  readonly proc: string;
  readonly watcher: string;
  readonly key: string;
  last: number;
  started: boolean;
  failed: boolean;
}

/**
 * Checks every watch subscription, per key: after its snapshot, every committed version once, in
 * order. A subscription that lasted to the end (its process printed `watch-done` and it did not
 * fail) must have reached the key's final version.
 *
 * @example
 * ```ts
 * const v = checkWatch(lines, new Map([['a', 120]]));
 * ```
 */
export function checkWatch(
  lines: readonly WatchLine[],
  finalVersions: ReadonlyMap<string, number>,
): WatchVerdict {
  const subs = new Map<string, Sub>();
  const done = new Set<string>();
  const watchers = new Set<string>();
  const details: string[] = [];
  const note = (s: string) => {
    if (details.length < 20) details.push(s);
  };
  let missed = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let delivered = 0;
  let errors = 0;
  let resyncs = 0;
  for (const l of lines) {
    if (l.ev === 'watch-done') done.add(l.w);
    if ((l.ev !== 'watch' && l.ev !== 'watch-error') || !l.sub || !l.key || !l.watcher) continue;
    watchers.add(l.watcher);
    const id = `${l.sub}\u0000${l.key}`;
    let sub = subs.get(id);
    if (!sub) {
      sub = { proc: l.w, watcher: l.watcher, key: l.key, last: 0, started: false, failed: false };
      subs.set(id, sub);
    }
    if (l.ev === 'watch-error') {
      sub.failed = true;
      errors++;
      continue;
    }
    const v = l.version ?? 0;
    if (!sub.started) {
      sub.started = true;
      sub.last = v;
      if (l.cause !== 'snapshot')
        note(`${l.sub} ${l.key}: first event is ${l.cause} v${v}, not the snapshot`);
      continue;
    }
    delivered++;
    if (v === sub.last) {
      duplicates++;
      note(`${l.sub} ${l.key}: v${v} delivered twice`);
    } else if (v < sub.last) {
      outOfOrder++;
      note(`${l.sub} ${l.key}: v${v} after v${sub.last}`);
    } else {
      if (v > sub.last + 1 && l.cause === 'resync') resyncs++;
      else if (v > sub.last + 1) {
        missed += v - sub.last - 1;
        note(`${l.sub} ${l.key}: jumped from v${sub.last} to v${v}`);
      }
      sub.last = v;
    }
  }
  for (const [id, sub] of subs) {
    const final = finalVersions.get(sub.key) ?? 0;
    if (sub.failed || !done.has(sub.proc) || !sub.started) continue;
    const latest = [...subs.values()].filter((s) => s.watcher === sub.watcher && s.key === sub.key).at(-1);
    if (latest !== sub || sub.last >= final) continue;
    missed += final - sub.last;
    note(`${id.replace('\u0000', ' ')}: ended at v${sub.last}, the key reached v${final}`);
  }
  return {
    watchers: watchers.size,
    keys: finalVersions.size,
    committed: [...finalVersions.values()].reduce((a, b) => a + b, 0),
    delivered,
    missed,
    resyncs,
    duplicates,
    outOfOrder,
    errors,
    details,
  };
}
