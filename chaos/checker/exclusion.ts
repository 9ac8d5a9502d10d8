/**
 * Mutual exclusion seen from the holders' own point of view. Each holder prints a claim (`held`,
 * `leading`) every time it checks its lease and finds it held, stamped with the machine's
 * monotonic time taken before the check. A holder's claims for one lease (token, term) span an
 * interval in which it certainly believed it held the lock; two such intervals of different
 * leases that overlap are two processes acting as holder at the same instant: the lease was
 * taken from a live holder.
 */

/** One worker line, as the exclusion checkers need it. */
export interface HoldLine {
  readonly w: string;
  readonly ev: string;
  /** Machine monotonic time (ms). */
  readonly m?: number;
  readonly [field: string]: unknown;
}

/** The events of one kind of holder. */
export interface HoldEvents {
  /** A claim: checked and held (`held`, `leading`). */
  readonly claim: string;
  /** The field naming the lease a claim is for (`token`, `term`). */
  readonly id: string;
  /** A grant (`granted`, `elected`). */
  readonly start: string;
  /** The holder let go (`release`, `resign`). */
  readonly end: string;
}

/** The interval over which one worker claimed one lease. */
export interface Hold {
  readonly w: string;
  readonly id: string;
  readonly from: number;
  readonly to: number;
  readonly claims: number;
}

/** What {@link checkExclusion} found. */
export interface ExclusionVerdict {
  /** Leases held (with at least one claim). */
  readonly holds: number;
  readonly claims: number;
  /** Pairs of holds of different leases (or workers) that overlap in time. */
  readonly overlaps: number;
  /** The longest of those overlaps (ms). */
  readonly maxOverlapMs: number;
  /** Leases (tokens, terms) claimed by more than one worker. */
  readonly sharedIds: number;
  /** Holders SIGKILLed while holding (the nemesis's `killed` notes). */
  readonly kills: number;
  /** For each such kill: ms until another worker was granted (`start`) next. */
  readonly takeoverMs: readonly number[];
  /** The first few problems, explained. */
  readonly details: readonly string[];
}

/**
 * The holds in a set of lines: per worker and lease, the span of its claims.
 *
 * @example
 * ```ts
 * const holds = holdsOf(lines, { claim: 'held', id: 'token', start: 'granted', end: 'release' });
 * ```
 */
export function holdsOf(lines: readonly HoldLine[], e: HoldEvents): Hold[] {
  const byLease = new Map<string, { w: string; id: string; from: number; to: number; claims: number }>();
  for (const l of lines) {
    if (l.ev !== e.claim || typeof l.m !== 'number') continue;
    const id = String(l[e.id]);
    const k = `${l.w}\u0000${id}`;
    const h = byLease.get(k);
    if (!h) byLease.set(k, { w: l.w, id, from: l.m, to: l.m, claims: 1 });
    else {
      h.from = Math.min(h.from, l.m);
      h.to = Math.max(h.to, l.m);
      h.claims++;
    }
  }
  return [...byLease.values()].sort((a, b) => a.from - b.from);
}

/**
 * Checks that no two holders ever claimed the lock at overlapping times, that no lease (token,
 * term) was claimed by two workers, and measures how long a SIGKILLed holder's lock took to be
 * granted to someone else.
 *
 * @example
 * ```ts
 * const v = checkExclusion(leaseGroup.lines, { claim: 'held', id: 'token', start: 'granted', end: 'release' });
 * if (v.overlaps > 0) console.error(v.details);
 * ```
 */
export function checkExclusion(lines: readonly HoldLine[], e: HoldEvents): ExclusionVerdict {
  const details: string[] = [];
  const note = (s: string) => {
    if (details.length < 20) details.push(s);
  };
  const holds = holdsOf(lines, e);
  let overlaps = 0;
  let maxOverlapMs = 0;
  const open: Hold[] = [];
  for (const h of holds) {
    for (let i = open.length - 1; i >= 0; i--) if ((open[i] as Hold).to < h.from) open.splice(i, 1);
    for (const o of open) {
      if (o.w === h.w && o.id === h.id) continue;
      overlaps++;
      const ms = Math.min(o.to, h.to) - h.from;
      maxOverlapMs = Math.max(maxOverlapMs, ms);
      note(
        `${o.w} (${e.id} ${o.id}) still held it ${ms.toFixed(1)} ms after ${h.w} (${e.id} ${h.id}) began to hold it`,
      );
    }
    open.push(h);
  }
  const workersById = new Map<string, Set<string>>();
  for (const h of holds) workersById.set(h.id, (workersById.get(h.id) ?? new Set()).add(h.w));
  let sharedIds = 0;
  for (const [id, ws] of workersById) {
    if (ws.size < 2) continue;
    sharedIds++;
    note(`${e.id} ${id} claimed by ${[...ws].join(', ')}`);
  }
  const { kills, takeoverMs } = takeovers(lines, e);
  return {
    holds: holds.length,
    claims: holds.reduce((n, h) => n + h.claims, 0),
    overlaps,
    maxOverlapMs,
    sharedIds,
    kills,
    takeoverMs,
    details,
  };
}

/** Kills of workers that were holding (a `start` not yet followed by an `end`), and the time to the next grant. */
function takeovers(lines: readonly HoldLine[], e: HoldEvents): { kills: number; takeoverMs: number[] } {
  const timed = lines
    .filter((l) => typeof l.m === 'number')
    .sort((a, b) => (a.m as number) - (b.m as number));
  const holding = new Set<string>();
  const pending: { w: string; m: number }[] = [];
  const takeoverMs: number[] = [];
  let kills = 0;
  for (const l of timed) {
    const m = l.m as number;
    if (l.ev === e.start) {
      holding.add(l.w);
      for (const k of pending.splice(0)) {
        if (k.w !== l.w) takeoverMs.push(m - k.m);
        else pending.push(k);
      }
    } else if (l.ev === e.end) holding.delete(l.w);
    else if (l.ev === 'killed' && holding.delete(l.w)) {
      kills++;
      pending.push({ w: l.w, m });
    }
  }
  return { kills, takeoverMs };
}

/**
 * Summary figures of a list of durations (ms): count, median, 95th percentile, max.
 *
 * @example
 * ```ts
 * const s = durations([2_400, 2_600, 3_100]); // { count: 3, median: 2600, p95: 3100, max: 3100 }
 * ```
 */
export function durations(ms: readonly number[]): {
  count: number;
  median: number;
  p95: number;
  max: number;
} {
  if (ms.length === 0) return { count: 0, median: 0, p95: 0, max: 0 };
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
  return {
    count: s.length,
    median: Math.round(at(0.5)),
    p95: Math.round(at(0.95)),
    max: Math.round(s.at(-1) ?? 0),
  };
}
