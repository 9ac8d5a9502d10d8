import { describe, expect, it } from 'vitest';
import { checkSettle, type SettleLine, settleBoundMs } from '../../chaos/checker/settle.js';

const held = (w: string, t: number, shard: number): SettleLine => ({
  w,
  t,
  ev: 'held',
  key: `shard-${shard}`,
});

describe('checkSettle (the work group owned again once the faults stop)', () => {
  const off = 1_000_000;
  const bound = settleBoundMs({ leaseMs: 2_000, maxClockSkewMs: 300 });

  it('the bound is the session takeover floor plus 1 s', () => {
    expect(bound).toBe(3_600);
  });

  it('passes when every shard is claimed within the bound, and reports the slowest', () => {
    const lines = [
      held('a', off - 50, 0),
      held('a', off + 40, 0),
      held('b', off + 2_900, 1),
      held('b', off + 3_000, 1),
    ];
    const v = checkSettle(lines, { faultsOffAt: off, boundMs: bound, shards: 2 });
    expect(v.unowned).toBe(0);
    expect(v.settleMs).toBe(2_900);
    expect(v.ownedAfterMs).toEqual({ 'shard-0': 40, 'shard-1': 2_900 });
  });

  it('fails when the member holding a shard never comes back and nobody takes it (a control that never rejoins)', () => {
    // shard 1's member was killed before the faults stopped: its claims end there, nobody takes over
    const lines = [
      held('a', off + 10, 0),
      held('b', off - 500, 1),
      { w: 'a', t: off + 20, ev: 'granted', key: 'shard-1' },
    ];
    const v = checkSettle(lines, { faultsOffAt: off, boundMs: bound, shards: 2 });
    expect(v.unowned).toBe(1);
    expect(v.settleMs).toBe(-1);
    expect(v.details[0]).toContain('shard-1: claimed by no member after the faults stopped');
  });

  it('fails when a shard is taken later than the bound (or the bound is short)', () => {
    const lines = [held('a', off + 10, 0), held('b', off + 2_900, 1)];
    expect(checkSettle(lines, { faultsOffAt: off, boundMs: 2_000, shards: 2 }).details).toEqual([
      'shard-1: first claimed 2900 ms after the faults stopped, more than the bound 2000 ms',
    ]);
  });
});
