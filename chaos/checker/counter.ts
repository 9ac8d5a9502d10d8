/** One line of a counter worker, as the checker needs it. */
export interface CounterLine {
  readonly w: string;
  readonly t: number;
  readonly ev: string;
  readonly token?: string;
  readonly n?: number;
}

/** What the counter checker found. */
export interface CounterVerdict {
  /** Increments attempted (writes sent). */
  readonly operations: number;
  readonly acknowledged: number;
  /** Writes whose outcome is unknown (error, or the worker was killed before the answer). */
  readonly ambiguous: number;
  /** Stale writes the fence refused (evidence that it works). */
  readonly fencedRejections: number;
  readonly grants: number;
  readonly finalValue: number;
  /** Acknowledged increments missing from the final counter (a lower bound). */
  readonly lostUpdates: number;
  /** Counter increments nobody can account for (final > acknowledged + ambiguous). */
  readonly phantoms: number;
  /** Writes accepted although a newer token had been granted before they were sent. */
  readonly staleAccepted: number;
  /** Duplicate tokens, or a grant whose token is not above one granted before it started. */
  readonly tokenViolations: number;
  /** The sum of the above: zero in a correct fenced run. */
  readonly violations: number;
  /** The first few violations, explained. */
  readonly details: readonly string[];
}

interface Write {
  readonly w: string;
  readonly token: bigint;
  readonly n: number;
  readonly sentAt: number;
  outcome: 'ok' | 'fenced' | 'error' | 'open';
}

interface Grant {
  readonly w: string;
  readonly token: bigint;
  readonly askedAt: number;
  readonly at: number;
}

/**
 * Checks the fenced counter: the final value must equal the acknowledged increments (up to the
 * ambiguous ones), no write may be accepted with a token older than one granted before it was
 * sent, tokens are unique and increase in grant order (a grant that started after another ended
 * has a larger token).
 *
 * @example
 * ```ts
 * const v = checkCounter(lines, finalValue);
 * if (v.violations > 0) console.error(v.details);
 * ```
 */
export function checkCounter(lines: readonly CounterLine[], finalValue: number): CounterVerdict {
  const writes: Write[] = [];
  const grants: Grant[] = [];
  const open = new Map<string, Write>();
  const asked = new Map<string, number>();
  for (const l of lines) {
    if (l.ev === 'acquire') asked.set(l.w, l.t);
    else if (l.ev === 'granted' && l.token !== undefined) {
      grants.push({ w: l.w, token: BigInt(l.token), askedAt: asked.get(l.w) ?? l.t, at: l.t });
    } else if (l.ev === 'write' && l.token !== undefined && l.n !== undefined) {
      const write: Write = { w: l.w, token: BigInt(l.token), n: l.n, sentAt: l.t, outcome: 'open' };
      writes.push(write);
      open.set(l.w, write);
    } else if (l.ev === 'write-ok' || l.ev === 'write-fenced' || l.ev === 'write-error') {
      const write = open.get(l.w);
      if (!write) continue;
      open.delete(l.w);
      write.outcome = l.ev === 'write-ok' ? 'ok' : l.ev === 'write-fenced' ? 'fenced' : 'error';
    }
  }
  const details: string[] = [];
  const note = (s: string) => {
    if (details.length < 20) details.push(s);
  };
  const acked = writes.filter((w) => w.outcome === 'ok');
  const ambiguous = writes.filter((w) => w.outcome === 'error' || w.outcome === 'open').length;

  // Lost updates: acknowledged increments the final value does not contain, and acknowledged
  // writes of the same value (one overwrote the other).
  const byN = new Map<number, Write[]>();
  for (const w of acked) byN.set(w.n, [...(byN.get(w.n) ?? []), w]);
  let duplicates = 0;
  for (const [n, ws] of byN) {
    if (ws.length < 2) continue;
    duplicates += ws.length - 1;
    note(`value ${n} written ${ws.length} times: ${ws.map((w) => `${w.w}@token ${w.token}`).join(', ')}`);
  }
  const missing = acked.length - finalValue;
  if (missing > 0) note(`final counter ${finalValue} < ${acked.length} acknowledged increments`);
  const lostUpdates = Math.max(0, missing, duplicates);
  const phantoms = Math.max(0, finalValue - acked.length - ambiguous);
  if (phantoms > 0)
    note(`final counter ${finalValue} > ${acked.length} acknowledged + ${ambiguous} ambiguous increments`);

  // Stale writes accepted: a newer token was granted (and the grant returned) before the write was sent.
  const byTime = [...grants].sort((a, b) => a.at - b.at);
  let staleAccepted = 0;
  for (const w of acked) {
    const newer = byTime.find((g) => g.at < w.sentAt && g.token > w.token);
    if (newer) {
      staleAccepted++;
      note(`${w.w} wrote n=${w.n} with token ${w.token} after ${newer.w} was granted token ${newer.token}`);
    }
  }

  // Tokens: unique, and increasing for grants that do not overlap in time.
  let tokenViolations = 0;
  const seen = new Map<bigint, Grant>();
  for (const g of grants) {
    const twin = seen.get(g.token);
    if (twin) {
      tokenViolations++;
      note(`token ${g.token} granted twice: ${twin.w} and ${g.w}`);
    }
    seen.set(g.token, g);
  }
  let maxBefore = -1n;
  let i = 0;
  const byAsk = [...grants].sort((a, b) => a.askedAt - b.askedAt);
  for (const g of byAsk) {
    while (i < byTime.length && (byTime[i] as Grant).at < g.askedAt) {
      const earlier = byTime[i] as Grant;
      if (earlier.token > maxBefore) maxBefore = earlier.token;
      i++;
    }
    if (g.token <= maxBefore) {
      tokenViolations++;
      note(`${g.w} was granted token ${g.token}, not above ${maxBefore} granted before it asked`);
    }
  }

  return {
    operations: writes.length,
    acknowledged: acked.length,
    ambiguous,
    fencedRejections: writes.filter((w) => w.outcome === 'fenced').length,
    grants: grants.length,
    finalValue,
    lostUpdates,
    phantoms,
    staleAccepted,
    tokenViolations,
    violations: lostUpdates + phantoms + staleAccepted + tokenViolations,
    details,
  };
}
