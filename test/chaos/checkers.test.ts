import { describe, expect, it } from 'vitest';
import { type CounterLine, checkCounter } from '../../chaos/checker/counter.js';
import type { HistoryEvent } from '../../chaos/checker/history.js';
import { findKvAnomalies } from '../../chaos/checker/kv-anomalies.js';
import type { RegisterInput, RegisterOutput } from '../../chaos/checker/model.js';
import { checkSessions, type SessionLine } from '../../chaos/checker/session.js';
import { checkWatch } from '../../chaos/checker/watch.js';

/** Builds worker lines with increasing times. */
function trace() {
  const lines: CounterLine[] = [];
  let t = 0;
  const add = (w: string, ev: string, token?: number, n?: number) => {
    lines.push({
      w,
      t: ++t,
      ev,
      ...(token !== undefined && { token: String(token) }),
      ...(n !== undefined && { n }),
    });
  };
  /** A whole correct cycle: acquire, grant, read, write ok. */
  const cycle = (w: string, token: number, n: number, outcome = 'write-ok') => {
    add(w, 'acquire');
    add(w, 'granted', token);
    add(w, 'read', token, n - 1);
    add(w, 'write', token, n);
    add(w, outcome, token, n);
  };
  return { lines, add, cycle };
}

describe('fenced counter checker', () => {
  it('passes a correct run', () => {
    const { lines, cycle } = trace();
    cycle('a', 10, 1);
    cycle('b', 11, 2);
    cycle('a', 12, 3);
    const v = checkCounter(lines, 3);
    expect(v).toMatchObject({ operations: 3, acknowledged: 3, violations: 0, lostUpdates: 0 });
  });

  it('counts a refused stale write as the fence working, not as a violation', () => {
    const { lines, add, cycle } = trace();
    add('a', 'acquire');
    add('a', 'granted', 10);
    add('a', 'read', 10, 0);
    cycle('b', 11, 1); // a is paused past its lease; b takes over
    add('a', 'write', 10, 1);
    add('a', 'write-fenced', 10, 1);
    const v = checkCounter(lines, 1);
    expect(v).toMatchObject({ fencedRejections: 1, violations: 0 });
  });

  it('finds a lost update: a stale holder overwrote a newer increment', () => {
    const { lines, add, cycle } = trace();
    add('a', 'acquire');
    add('a', 'granted', 10);
    add('a', 'read', 10, 0);
    cycle('b', 11, 1);
    cycle('b', 12, 2);
    add('a', 'write', 10, 1);
    add('a', 'write-ok', 10, 1);
    const v = checkCounter(lines, 1);
    expect(v.lostUpdates).toBe(2);
    expect(v.staleAccepted).toBe(1);
    expect(v.violations).toBeGreaterThan(0);
  });

  it('allows ambiguous writes to have landed or not', () => {
    const { lines, add, cycle } = trace();
    cycle('a', 10, 1);
    add('b', 'acquire');
    add('b', 'granted', 11);
    add('b', 'read', 11, 1);
    add('b', 'write', 11, 2); // killed before the answer
    cycle('c', 12, 3);
    expect(checkCounter(lines, 3).violations).toBe(0);
    expect(checkCounter(lines, 3).ambiguous).toBe(1);
  });

  it('finds phantom increments and token problems', () => {
    const { lines, cycle } = trace();
    cycle('a', 10, 1);
    cycle('b', 10, 2); // same token twice
    cycle('c', 9, 3); // a smaller token, granted after 10 was
    const v = checkCounter(lines, 5);
    expect(v.phantoms).toBe(2);
    expect(v.tokenViolations).toBe(3);
  });
});

describe('key/value anomaly finder', () => {
  type Event = HistoryEvent<RegisterInput, RegisterOutput>;
  it('finds a write applied twice and a compare-and-set that failed on its own value', () => {
    const events: Event[] = [
      { type: 'invoke', process: 1, key: 'k', input: { f: 'write', value: 'a' } },
      { type: 'ok', process: 1, key: 'k', output: { version: 2 } },
      { type: 'invoke', process: 2, key: 'k', input: { f: 'read' } },
      { type: 'ok', process: 2, key: 'k', output: { value: 'a', version: 1 } },
      { type: 'invoke', process: 2, key: 'k', input: { f: 'cas', expect: { version: 2 }, value: 'b' } },
      { type: 'ok', process: 2, key: 'k', output: { ok: false, current: { value: 'b', version: 3 } } },
    ];
    expect(findKvAnomalies(events)).toMatchObject({ duplicateApplications: 1, failedButApplied: 1 });
  });
});

describe('watch checker', () => {
  const ev = (sub: string, key: string, version: number, cause = 'write') => ({
    w: 'p1',
    ev: 'watch',
    watcher: sub.split('#')[0] as string,
    sub,
    key,
    cause,
    version,
  });
  const done = { w: 'p1', ev: 'watch-done' };

  it('passes every version once, in order, after the snapshot', () => {
    const lines = [ev('a#0', 'k', 2, 'snapshot'), ev('a#0', 'k', 3), ev('a#0', 'k', 4), done];
    expect(checkWatch(lines, new Map([['k', 4]]))).toMatchObject({
      missed: 0,
      duplicates: 0,
      outOfOrder: 0,
      delivered: 2,
    });
  });

  it('finds gaps, duplicates, reordering and a watcher that fell behind', () => {
    const lines = [
      ev('a#0', 'k', 0, 'snapshot'),
      ev('a#0', 'k', 1),
      ev('a#0', 'k', 3),
      ev('a#0', 'k', 3),
      ev('a#0', 'k', 2),
      done,
    ];
    expect(checkWatch(lines, new Map([['k', 5]]))).toMatchObject({ missed: 3, duplicates: 1, outOfOrder: 1 });
  });

  it('checks a resubscription from its own snapshot', () => {
    const lines = [
      ev('a#0', 'k', 0, 'snapshot'),
      ev('a#0', 'k', 1),
      { w: 'p1', ev: 'watch-error', watcher: 'a', sub: 'a#0', key: 'k' },
      ev('a#1', 'k', 4, 'snapshot'),
      ev('a#1', 'k', 5),
      done,
    ];
    expect(checkWatch(lines, new Map([['k', 5]]))).toMatchObject({ missed: 0, errors: 1 });
  });
});

describe('session checker', () => {
  /** Lines of the session workload: each event of a lock carries its key; `m` and `t` increase. */
  function sessionTrace() {
    const lines: SessionLine[] = [];
    let m = 0;
    const add = (w: string, ev: string, key: string, token: number, extra: Record<string, unknown> = {}) =>
      lines.push({ w, ev, key, token: String(token), m: ++m, t: m, ...extra });
    /** A whole hold: granted, two claims, one acknowledged increment, release. */
    const hold = (w: string, key: string, token: number, n: number) => {
      add(w, 'acquire', key, token);
      add(w, 'granted', key, token);
      add(w, 'held', key, token);
      add(w, 'read', key, token, { n: n - 1 });
      add(w, 'write', key, token, { n });
      add(w, 'write-ok', key, token, { n });
      add(w, 'held', key, token);
      add(w, 'release', key, token);
    };
    return { lines, add, hold };
  }

  it('passes holds of different keys at the same time, and counts per key', () => {
    const { lines, add, hold } = sessionTrace();
    add('a', 'granted', 'k0', 10);
    add('a', 'held', 'k0', 10);
    hold('a', 'k1', 20, 1); // a's session holds k0 and k1 at once
    hold('b', 'k2', 30, 1); // while b's holds k2
    add('a', 'held', 'k0', 10);
    add('a', 'release', 'k0', 10);
    hold('b', 'k0', 11, 1);
    const finals = new Map([
      ['k0', 1],
      ['k1', 1],
      ['k2', 1],
    ]);
    const v = checkSessions(lines, finals);
    expect(v.details).toEqual([]);
    expect(v).toMatchObject({ keys: 3, holds: 4, overlaps: 0, acknowledged: 3, takeovers: 0, violations: 0 });
    expect(v.maxLocksPerSession).toBe(2);
  });

  it('finds two holders of one key at once, and a lost update of one key’s counter', () => {
    const { lines, add, hold } = sessionTrace();
    lines.push({ w: 'a', ev: 'session', t: 0 });
    add('a', 'granted', 'k0', 10);
    add('a', 'held', 'k0', 10);
    add('a', 'read', 'k0', 10, { n: 0 });
    hold('b', 'k0', 11, 1); // b took k0 while a still claims it
    add('a', 'held', 'k0', 10);
    add('a', 'write', 'k0', 10, { n: 1 });
    add('a', 'write-ok', 'k0', 10, { n: 1 }); // the fence let a stale write through
    add('a', 'release', 'k0', 10);
    const v = checkSessions(lines, new Map([['k0', 1]]));
    expect(v.sessions).toBe(1);
    expect(v.overlaps).toBe(1);
    expect(v.lostUpdates).toBe(1);
    expect(v.takeovers).toBe(1);
    expect(v.violations).toBeGreaterThanOrEqual(2);
    expect(v.details.every((d) => d.startsWith('k0: '))).toBe(true);
  });
});
