/** One line of a work-group worker, as the settle check reads it. */
export interface SettleLine {
  readonly w: string;
  /** Real (unskewed) time, epoch ms. */
  readonly t: number;
  readonly ev: string;
  readonly key?: unknown;
}

/** What {@link checkSettle} found. */
export interface SettleVerdict {
  /** The bound each shard had to be owned again within, ms after the faults stopped. */
  readonly boundMs: number;
  readonly shards: number;
  /** Per shard, ms after the faults stopped of its first claim (0: claimed as they stopped). */
  readonly ownedAfterMs: Readonly<Record<string, number>>;
  /** The largest of {@link ownedAfterMs} (the group's settling time), or -1 when a shard never was. */
  readonly settleMs: number;
  /** Shards with no claim within the bound. */
  readonly unowned: number;
  readonly details: readonly string[];
}

/**
 * The work group's liveness once the faults stop: every shard (counter key `shard-<n>`) must be
 * claimed (a `held` line: the shard's lease held and its signal standing) by some member within
 * `boundMs` of `faultsOffAt`. A shard whose holder is still live when the faults stop counts at
 * once (its next claim comes within a sample); one whose holder was killed or lost its session
 * must be taken by another member within the bound.
 *
 * @example
 * ```ts
 * const v = checkSettle(groupMembers.lines, { faultsOffAt, boundMs: 4_600, shards: 12 });
 * if (v.unowned > 0) console.error(v.details);
 * ```
 */
export function checkSettle(
  lines: readonly SettleLine[],
  o: { readonly faultsOffAt: number; readonly boundMs: number; readonly shards: number },
): SettleVerdict {
  const first = new Map<string, number>();
  for (const l of lines) {
    if (l.ev !== 'held' || typeof l.key !== 'string' || l.t < o.faultsOffAt) continue;
    if (!first.has(l.key) || (first.get(l.key) as number) > l.t) first.set(l.key, l.t);
  }
  const ownedAfterMs: Record<string, number> = {};
  const details: string[] = [];
  let settleMs = 0;
  for (let n = 0; n < o.shards; n++) {
    const key = `shard-${n}`;
    const at = first.get(key);
    const after = at === undefined ? undefined : at - o.faultsOffAt;
    if (after !== undefined) ownedAfterMs[key] = Math.round(after);
    if (after === undefined || after > o.boundMs) {
      settleMs = -1;
      details.push(
        after === undefined
          ? `${key}: claimed by no member after the faults stopped (bound ${o.boundMs} ms)`
          : `${key}: first claimed ${Math.round(after)} ms after the faults stopped, more than the bound ${o.boundMs} ms`,
      );
    } else if (settleMs >= 0) settleMs = Math.max(settleMs, Math.round(after));
  }
  return { boundMs: o.boundMs, shards: o.shards, ownedAfterMs, settleMs, unowned: details.length, details };
}

/**
 * The settle bound of the chaos work group: the session takeover floor once the faults stop (a
 * member resumed then renewed its session at most `leaseMs` before; a takeover of a session is
 * allowed `maxClockSkewMs` after its lease end, on clocks up to `maxClockSkewMs` apart) plus 1 s,
 * the margin for learning of it and granting the shards.
 *
 * @example
 * ```ts
 * settleBoundMs({ leaseMs: 2_000, maxClockSkewMs: 300 }); // 3 600
 * ```
 */
export function settleBoundMs(o: { readonly leaseMs: number; readonly maxClockSkewMs: number }): number {
  return o.leaseMs + 2 * o.maxClockSkewMs + 1_000;
}
