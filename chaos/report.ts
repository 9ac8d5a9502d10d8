import type { CounterVerdict } from './checker/counter.js';
import type { ElectionVerdict } from './checker/election.js';
import { durations, type ExclusionVerdict } from './checker/exclusion.js';
import type { KvAnomalies } from './checker/kv-anomalies.js';
import type { LinearizabilityResult } from './checker/linearizability.js';
import type { SessionVerdict } from './checker/session.js';
import type { SettleVerdict } from './checker/settle.js';
import type { WatchVerdict } from './checker/watch.js';

/** `chaos/report.json`: the shape issue 7 asks for, plus `lease` and `election`. */
export interface ChaosReport {
  readonly faultsInjected: Record<string, number>;
  readonly fenced: { readonly operations: number; readonly violations: number; readonly lostUpdates: number };
  readonly control: { readonly lostUpdates: number };
  readonly linearizable: boolean;
  readonly watch: { readonly missed: number; readonly duplicates: number; readonly outOfOrder: number };
  /** Lease mutual exclusion, clocks within `maxClockSkewMs` of each other, no pauses. */
  readonly lease: {
    readonly holds: number;
    /** Holds of different leases that overlapped, plus tokens held by two workers: zero. */
    readonly violations: number;
    /** The control, clocks far beyond `maxClockSkewMs` apart: overlaps found (the checker must find some). */
    readonly beyondBoundOverlaps: number;
  };
  /** Leader election with leaders SIGKILLed. */
  readonly election: {
    /** Terms in which a leader led. */
    readonly terms: number;
    readonly leaderKills: number;
    /** Terms with two leaders, terms out of order, and overlapping leaders: zero. */
    readonly violations: number;
    /** From a leader's SIGKILL to the next leader's election. */
    readonly failoverMs: { readonly count: number; readonly median: number; readonly max: number };
  };
  /** Sessions holding many locks each, paused past their lease, SIGKILLed, clocks skewed within the bound. */
  readonly session: {
    readonly sessions: number;
    readonly holds: number;
    /** Grants of a lock whose previous holder had not released it. */
    readonly takeovers: number;
    readonly increments: number;
    readonly fencedRejections: number;
    /** Overlapping holds of a key, tokens held by two workers, and fenced-counter violations: zero. */
    readonly violations: number;
    readonly lostUpdates: number;
  };
  /** The work-group workload, counted as `session`. */
  readonly workGroup: ChaosReport['session'];
  /** The work-group control (plain counter writes): it must lose updates. */
  readonly workGroupControl: { readonly lostUpdates: number; readonly overlaps: number };
  /** Once the faults stopped: each shard owned again within the bound (`unowned` 0), and the slowest shard's time. */
  readonly workGroupSettle: { readonly boundMs: number; readonly settleMs: number; readonly unowned: number };
}

/** The checked history of one KV worker. */
export interface KvResult {
  readonly name: string;
  /** SDK attempts per call of that worker's client. */
  readonly maxAttempts: number;
  readonly result: LinearizabilityResult;
  readonly infos: number;
  /** Unknown outcomes by cause (see `failureOf` in chaos/workers/kv.ts). */
  readonly infoReasons: Record<string, number>;
  readonly fails: number;
  readonly anomalies: KvAnomalies;
}

/** Everything a run measured, for the summary. */
export interface RunResults {
  readonly seed: number;
  readonly durationMs: number;
  readonly wallMs: number;
  readonly faults: Record<string, number>;
  readonly requests: Record<string, number>;
  readonly fenced: CounterVerdict;
  readonly control: CounterVerdict;
  /** One KV history per client configuration (SDK retries on, and off). */
  readonly kv: readonly KvResult[];
  readonly watch: WatchVerdict | undefined;
  /** Worker-side problems: crashes, unhandled rejections, untyped errors. */
  readonly anomalies: readonly string[];
  readonly lease: ExclusionVerdict;
  readonly leaseBeyond: ExclusionVerdict;
  readonly election: ElectionVerdict;
  readonly session: SessionVerdict;
  /** The work-group members (fenced counters per shard) and the control group (plain writes). */
  readonly workGroup: SessionVerdict;
  readonly workGroupControl: SessionVerdict;
  /** The work group's settle check once the faults stopped. */
  readonly workGroupSettle: SettleVerdict;
  /** Timing of the lease and election workloads (for the summary). */
  readonly bounds: {
    readonly leaseMs: number;
    readonly maxClockSkewMs: number;
    readonly leaseSkews: readonly number[];
    readonly leaseBeyondSkews: readonly number[];
    readonly electionSkews: readonly number[];
  };
}

/**
 * The report file's content.
 *
 * @example
 * ```ts
 * await writeFile('chaos/report.json', JSON.stringify(toReport(results), null, 2));
 * ```
 */
export function toReport(r: RunResults): ChaosReport {
  return {
    faultsInjected: Object.fromEntries(Object.entries(r.faults).sort(([a], [b]) => a.localeCompare(b))),
    fenced: {
      operations: r.fenced.operations,
      violations: r.fenced.violations,
      lostUpdates: r.fenced.lostUpdates,
    },
    control: { lostUpdates: r.control.lostUpdates },
    linearizable: r.kv.every((k) => k.result.valid === true),
    watch: r.watch
      ? { missed: r.watch.missed, duplicates: r.watch.duplicates, outOfOrder: r.watch.outOfOrder }
      : { missed: -1, duplicates: -1, outOfOrder: -1 },
    lease: {
      holds: r.lease.holds,
      violations: r.lease.overlaps + r.lease.sharedIds,
      beyondBoundOverlaps: r.leaseBeyond.overlaps,
    },
    election: {
      terms: r.election.terms,
      leaderKills: r.election.leaderKills,
      violations: r.election.violations,
      failoverMs: (({ count, median, max }) => ({ count, median, max }))(durations(r.election.failoverMs)),
    },
    session: {
      sessions: r.session.sessions,
      holds: r.session.holds,
      takeovers: r.session.takeovers,
      increments: r.session.increments,
      fencedRejections: r.session.fencedRejections,
      violations: r.session.violations,
      lostUpdates: r.session.lostUpdates,
    },
    workGroup: {
      sessions: r.workGroup.sessions,
      holds: r.workGroup.holds,
      takeovers: r.workGroup.takeovers,
      increments: r.workGroup.increments,
      fencedRejections: r.workGroup.fencedRejections,
      violations: r.workGroup.violations,
      lostUpdates: r.workGroup.lostUpdates,
    },
    workGroupControl: { lostUpdates: r.workGroupControl.lostUpdates, overlaps: r.workGroupControl.overlaps },
    workGroupSettle: {
      boundMs: r.workGroupSettle.boundMs,
      settleMs: r.workGroupSettle.settleMs,
      unowned: r.workGroupSettle.unowned,
    },
  };
}

function spread(skews: readonly number[]): number {
  return Math.max(...skews) - Math.min(...skews);
}

function timing(ms: readonly number[]): string {
  const d = durations(ms);
  return d.count === 0 ? 'none' : `median ${d.median} ms, p95 ${d.p95} ms, max ${d.max} ms`;
}

function reasons(r: Record<string, number>): string {
  const parts = Object.entries(r)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`);
  return parts.length > 0 ? `: ${parts.join(', ')}` : '';
}

/**
 * A readable summary of a run.
 *
 * @example
 * ```ts
 * console.log(summary(results));
 * ```
 */
export function summary(r: RunResults): string {
  const out: string[] = [];
  const line = (s = '') => out.push(s);
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  line(
    `dynastore chaos run: ${(r.durationMs / 1000).toFixed(0)} s of faults, ${(r.wallMs / 1000).toFixed(1)} s wall, seed ${r.seed}`,
  );
  line();
  line('faults injected:');
  for (const [k, v] of Object.entries(r.faults).sort(([a], [b]) => a.localeCompare(b)))
    line(`  ${k.padEnd(20)} ${v}`);
  const total = Object.values(r.requests).reduce((a, b) => a + b, 0);
  line(
    `  (over ${total} DynamoDB requests: ${Object.entries(r.requests)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
  );
  line();
  const f = r.fenced;
  line(
    `${verdict(f.violations === 0)}  fenced counter: ${f.operations} increments sent, ${f.acknowledged} acknowledged, ${f.ambiguous} ambiguous, ${f.fencedRejections} stale writes refused by the fence, ${f.grants} grants`,
  );
  line(
    `      final counter ${f.finalValue}; lost updates ${f.lostUpdates}, phantom ${f.phantoms}, stale writes accepted ${f.staleAccepted}, token order violations ${f.tokenViolations}`,
  );
  for (const d of f.details) line(`      ! ${d}`);
  const c = r.control;
  line(
    `${verdict(c.lostUpdates > 0)}  control (same workload, no fence): ${c.operations} increments sent, ${c.acknowledged} acknowledged, final ${c.finalValue}: ${c.lostUpdates} lost updates found (the checker must find some)`,
  );
  for (const d of c.details.slice(0, 3)) line(`      ${d}`);
  for (const h of r.kv) {
    const kv = h.result;
    const a = h.anomalies;
    line(
      `${verdict(kv.valid === true)}  key/value history (${h.name}, SDK maxAttempts ${h.maxAttempts}): ${kv.operations} operations (${h.infos} of unknown outcome${reasons(h.infoReasons)}, ${h.fails} failed without effect) on ${kv.keys.length} keys, linearizable: ${kv.valid} (checked in ${kv.durationMs.toFixed(0)} ms)`,
    );
    if (a.duplicateApplications + a.failedButApplied > 0) {
      line(
        `      writes applied more than once: ${a.duplicateApplications}; compare-and-sets reported failed although applied: ${a.failedButApplied}`,
      );
      for (const e of a.examples.slice(0, 4)) line(`      ! ${e}`);
    }
    for (const k of kv.keys) {
      if (k.valid === true) continue;
      line(
        `      key ${k.key}: ${k.valid === 'unknown' ? 'search budget exhausted' : 'not linearizable'} after ${k.steps} steps`,
      );
      const ce = k.counterexample;
      if (!ce) continue;
      line(`      last legal operations (state after: ${ce.state}):`);
      for (const op of ce.linearized.slice(-4)) line(`        ${op}`);
      line(`      cannot be placed: ${ce.stuckAt}`);
      for (const op of ce.concurrent.slice(0, 4)) line(`        open: ${op}`);
    }
  }
  if (r.watch) {
    const w = r.watch;
    line(
      `${verdict(w.missed + w.duplicates + w.outOfOrder === 0)}  watch: ${w.watchers} watchers x ${w.keys} keys, ${w.committed} committed versions, ${w.delivered} events; missed ${w.missed}, duplicates ${w.duplicates}, out of order ${w.outOfOrder}${w.errors ? `, ${w.errors} watch errors` : ''}`,
    );
    for (const d of w.details.slice(0, 5)) line(`      ! ${d}`);
  } else {
    line('SKIP  watch: not run (watch is not wired into the DynamoDB backend yet)');
  }
  const b = r.bounds;
  const l = r.lease;
  line(
    `${verdict(l.overlaps + l.sharedIds === 0)}  lease exclusion: clocks up to ${spread(b.leaseSkews)} ms apart (maxClockSkewMs ${b.maxClockSkewMs}), leaseMs ${b.leaseMs}, no pauses: ${l.holds} holds, ${l.claims} checks of lease.held; ${l.kills} holders SIGKILLed, taken over after ${timing(l.takeoverMs)}`,
  );
  line(
    `      holds that overlapped ${l.overlaps}${l.overlaps > 0 ? ` (longest ${l.maxOverlapMs.toFixed(1)} ms)` : ''}, tokens held by two workers ${l.sharedIds}`,
  );
  for (const d of l.details.slice(0, 5)) line(`      ! ${d}`);
  const lb = r.leaseBeyond;
  line(
    `${verdict(lb.overlaps > 0)}  control (clocks ${spread(b.leaseBeyondSkews)} ms apart, beyond maxClockSkewMs): ${lb.holds} holds: ${lb.overlaps} overlapping holds found${lb.overlaps > 0 ? ` (longest ${lb.maxOverlapMs.toFixed(0)} ms)` : ''} (the checker must find some)`,
  );
  for (const d of lb.details.slice(0, 2)) line(`      ${d}`);
  const e = r.election;
  line(
    `${verdict(e.violations === 0)}  election: clocks up to ${spread(b.electionSkews)} ms apart, leaseMs ${b.leaseMs}: ${e.elections} elections, ${e.terms} terms led, ${e.leaderKills} leaders SIGKILLed, failover ${timing(e.failoverMs)}`,
  );
  line(
    `      terms with two leaders ${e.termsWithTwoLeaders}, terms out of order ${e.termOrderViolations}, overlapping leaders ${e.overlaps}; observe() reported ${e.observed} leaders, ${e.observerViolations} wrong or out of order`,
  );
  for (const d of e.details.slice(0, 5)) line(`      ! ${d}`);
  const x = r.session;
  line(
    `${verdict(x.violations === 0)}  sessions: clocks up to ${spread(b.leaseSkews)} ms apart, leaseMs ${b.leaseMs}, paused and SIGKILLed: ${x.sessions} sessions (ended: ${reasons(x.sessionEnds).slice(2) || 'none'}), up to ${x.maxLocksPerSession} locks each at once, ${x.holds} holds of ${x.keys} keys, ${x.claims} checks of lease.held, ${x.takeovers} takeovers`,
  );
  line(
    `      holds of a key that overlapped ${x.overlaps}${x.overlaps > 0 ? ` (longest ${x.maxOverlapMs.toFixed(1)} ms)` : ''}, tokens held by two workers ${x.sharedIds}; fenced counters: ${x.increments} increments sent, ${x.acknowledged} acknowledged, ${x.ambiguous} ambiguous, ${x.fencedRejections} refused by the fence; lost updates ${x.lostUpdates}, phantom ${x.phantoms}, stale writes accepted ${x.staleAccepted}, token order violations ${x.tokenViolations}`,
  );
  for (const d of x.details.slice(0, 5)) line(`      ! ${d}`);
  const g = r.workGroup;
  const gc = r.workGroupControl;
  line(
    `${verdict(g.violations === 0)}  work group: 12 shards, members paused and SIGKILLed, clocks up to ${spread(b.leaseSkews)} ms apart: ${g.sessions} member sessions, ${g.holds} shard holds, ${g.takeovers} takeovers, ${g.claims} checks; holds of a shard that overlapped ${g.overlaps}, tokens held by two members ${g.sharedIds}; fenced counters: ${g.increments} increments, ${g.fencedRejections} refused by the fence, lost updates ${g.lostUpdates}, stale writes accepted ${g.staleAccepted}`,
  );
  for (const d of g.details.slice(0, 5)) line(`      ! ${d}`);
  const st = r.workGroupSettle;
  line(
    `${verdict(st.unowned === 0)}  work group settle: once the faults stopped, every one of ${st.shards} shards owned again within ${st.settleMs >= 0 ? `${st.settleMs} ms` : 'never'} (bound ${st.boundMs} ms: session takeover floor + 1 s); shards late ${st.unowned}`,
  );
  for (const d of st.details.slice(0, 5)) line(`      ! ${d}`);
  line(
    `${verdict(gc.lostUpdates > 0)}  work group control (fencing off): ${gc.increments} increments, lost updates ${gc.lostUpdates} (must be > 0: unfenced work of a paused member overwrites its successor's)`,
  );
  if (r.anomalies.length > 0) {
    line();
    line(`worker anomalies (${r.anomalies.length}):`);
    for (const a of r.anomalies.slice(0, 10)) line(`  ! ${a}`);
  }
  return out.join('\n');
}
