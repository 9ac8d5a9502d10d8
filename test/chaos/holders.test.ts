import { describe, expect, it } from 'vitest';
import { checkElection } from '../../chaos/checker/election.js';
import { checkExclusion, durations, type HoldLine } from '../../chaos/checker/exclusion.js';
import { failureOf } from '../../chaos/workers/kv.js';
import { AmbiguousWriteError, BackendError, ValidationError } from '../../src/contract/errors/store.js';

const LEASE = { claim: 'held', id: 'token', start: 'granted', end: 'release' } as const;

/** Lines of lease holders: `hold(w, token, from, to)` grants, claims every 10 ms from..to, releases. */
function leaseTrace() {
  const lines: HoldLine[] = [];
  const hold = (w: string, token: number, from: number, to: number, release = true) => {
    lines.push({ w, ev: 'granted', token: String(token), m: from - 1 });
    for (let m = from; m <= to; m += 10) lines.push({ w, ev: 'held', token: String(token), m });
    if (release) lines.push({ w, ev: 'release', token: String(token), m: to + 1 });
  };
  const kill = (w: string, m: number) => lines.push({ w, ev: 'killed', m });
  return { lines, hold, kill };
}

describe('lease exclusion checker', () => {
  it('passes holds one after the other, and measures takeover after a kill', () => {
    const { lines, hold, kill } = leaseTrace();
    hold('a', 1, 0, 100);
    hold('b', 2, 110, 200, false);
    kill('b', 205);
    hold('c', 3, 2_300, 2_400);
    const v = checkExclusion(lines, LEASE);
    expect(v).toMatchObject({ holds: 3, overlaps: 0, sharedIds: 0, kills: 1 });
    expect(v.takeoverMs).toEqual([2_300 - 1 - 205]);
  });

  it('finds a live holder displaced: two holds that overlap', () => {
    const { lines, hold } = leaseTrace();
    hold('a', 1, 0, 500);
    hold('b', 2, 400, 900);
    hold('c', 3, 1_000, 1_100);
    const v = checkExclusion(lines, LEASE);
    expect(v.overlaps).toBe(1);
    expect(v.maxOverlapMs).toBe(100);
    expect(v.details[0]).toContain('a (token 1) still held it 100.0 ms after b (token 2)');
  });

  it('counts claims at the very same instant as an overlap, and a token held by two workers', () => {
    const { lines, hold } = leaseTrace();
    hold('a', 1, 0, 100);
    hold('b', 1, 100, 200);
    const v = checkExclusion(lines, LEASE);
    expect(v).toMatchObject({ overlaps: 1, sharedIds: 1 });
  });

  it('summarises durations', () => {
    expect(durations([])).toEqual({ count: 0, median: 0, p95: 0, max: 0 });
    expect(durations([3, 1, 2])).toEqual({ count: 3, median: 2, p95: 3, max: 3 });
  });
});

describe('election checker', () => {
  function electionTrace() {
    const lines: HoldLine[] = [];
    const lead = (w: string, term: number, from: number, to: number, end: 'resign' | 'killed' = 'resign') => {
      lines.push({ w, ev: 'campaign', m: from - 50 });
      lines.push({ w, ev: 'elected', term: String(term), m: from - 1 });
      for (let m = from; m <= to; m += 10) lines.push({ w, ev: 'leading', term: String(term), m });
      lines.push({ w, ev: end, ...(end === 'resign' && { term: String(term) }), m: to + 1 });
    };
    return { lines, lead };
  }

  it('passes one leader per term, increasing terms, and measures failover', () => {
    const { lines, lead } = electionTrace();
    lead('a', 10, 0, 100);
    lead('b', 11, 200, 300, 'killed');
    lead('c', 12, 2_500, 2_600);
    const v = checkElection(lines);
    expect(v).toMatchObject({ elections: 3, terms: 3, leaderKills: 1, violations: 0 });
    expect(v.failoverMs).toEqual([2_499 - 301]);
  });

  it('finds two leaders in one term', () => {
    const { lines, lead } = electionTrace();
    lead('a', 10, 0, 100);
    lead('b', 10, 200, 300);
    const v = checkElection(lines);
    expect(v.termsWithTwoLeaders).toBe(1);
    expect(v.violations).toBe(1);
  });

  it('finds a term that did not increase, and two leaders at once', () => {
    const { lines, lead } = electionTrace();
    lead('a', 10, 0, 100);
    lead('b', 9, 200, 300);
    lead('c', 11, 250, 400);
    const v = checkElection(lines);
    expect(v.termOrderViolations).toBe(1);
    expect(v.overlaps).toBe(1);
    expect(v.violations).toBe(2);
    expect(v.details.join('\n')).toContain('began to lead term 9 after a had led term 10');
  });
});

describe('election checker: what observe() reported', () => {
  const elected = (w: string, term: number, m: number): HoldLine => ({
    w,
    ev: 'elected',
    term: String(term),
    m,
  });
  const seen = (w: string, id: string | null, term: number | null, m: number): HoldLine => ({
    w,
    ev: 'observed',
    id,
    term: term === null ? null : String(term),
    m,
  });

  it('passes observers that follow the elected leaders, with gaps', () => {
    const lines = [
      elected('a', 10, 0),
      seen('x', 'a', 10, 1),
      seen('x', null, null, 2),
      elected('b', 11, 3),
      seen('x', 'b', 11, 4),
    ];
    expect(checkElection(lines)).toMatchObject({ observed: 2, observerViolations: 0, violations: 0 });
  });

  it('finds an observer going back in terms, or naming the wrong leader', () => {
    const lines = [
      elected('a', 10, 0),
      elected('b', 11, 3),
      seen('x', 'b', 11, 4),
      seen('x', 'a', 10, 5),
      seen('y', 'a', 11, 6),
    ];
    const v = checkElection(lines);
    expect(v.observerViolations).toBe(2);
    expect(v.details.join('\n')).toContain('x observed term 10 after term 11');
    expect(v.details.join('\n')).toContain('y observed a leading term 11, elected: b');
  });
});

describe('key/value failures in the history', () => {
  const write = { f: 'write', value: 'v' } as const;
  it('records writes of unknown outcome as info, and failures without effect as fail', () => {
    expect(failureOf(write, new AmbiguousWriteError('retried, row changed'))).toEqual({
      type: 'info',
      why: 'ambiguous-write',
    });
    expect(failureOf(write, new BackendError('UpdateItem', 'TimeoutError', true))).toEqual({
      type: 'info',
      why: 'retryable',
    });
    expect(failureOf(write, new BackendError('UpdateItem', 'odd', false)).type).toBe('info');
    expect(failureOf(write, new Error('untyped')).type).toBe('info');
    expect(failureOf(write, new ValidationError('key', 'empty'))).toEqual({ type: 'fail', why: 'refused' });
    expect(failureOf({ f: 'read' }, new BackendError('GetItem', 'TimeoutError', true)).type).toBe('fail');
  });
});
