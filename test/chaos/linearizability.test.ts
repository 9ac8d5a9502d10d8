import { describe, expect, it } from 'vitest';
import { type HistoryEvent, MalformedHistoryError } from '../../chaos/checker/history.js';
import { checkLinearizable } from '../../chaos/checker/linearizability.js';
import { casRegister, type RegisterInput, type RegisterOutput } from '../../chaos/checker/model.js';
import { bruteForceLinearizable } from './support/brute-force.js';
import { prng, simulateRegister } from './support/simulate.js';

type Event = HistoryEvent<RegisterInput, RegisterOutput>;

const inv = (process: number, input: RegisterInput, key?: string): Event => ({
  type: 'invoke',
  process,
  input,
  ...(key && { key }),
});
const ok = (process: number, output: RegisterOutput): Event => ({ type: 'ok', process, output });
const info = (process: number): Event => ({ type: 'info', process });
const fail = (process: number): Event => ({ type: 'fail', process });
const read = (value: string | null, version?: number) => ({
  value,
  ...(version !== undefined && { version }),
});
const w = (value: string): RegisterInput => ({ f: 'write', value });
const r: RegisterInput = { f: 'read' };
const cas = (expect: number | null, value: string): RegisterInput => ({
  f: 'cas',
  expect: expect === null ? { absent: true } : { version: expect },
  value,
});

const check = (events: Event[]) => checkLinearizable(casRegister, events).valid;

describe('linearizability checker: known-good histories', () => {
  it('accepts an empty history and a sequential one', () => {
    expect(check([])).toBe(true);
    expect(
      check([
        inv(1, r),
        ok(1, read(null, 0)),
        inv(1, w('a')),
        ok(1, { version: 1 }),
        inv(1, r),
        ok(1, read('a', 1)),
      ]),
    ).toBe(true);
  });

  it('lets a read concurrent with a write see either value', () => {
    const before = [inv(1, w('a')), inv(2, r), ok(2, read(null)), ok(1, {})];
    const after = [inv(1, w('a')), inv(2, r), ok(2, read('a')), ok(1, {})];
    expect(check(before)).toBe(true);
    expect(check(after)).toBe(true);
  });

  it('orders two concurrent writes either way', () => {
    const h = [inv(1, w('a')), inv(2, w('b')), ok(1, {}), ok(2, {}), inv(3, r), ok(3, read('a', 2))];
    expect(check(h)).toBe(true);
  });

  it('accepts one winner among racing compare-and-sets', () => {
    const h = [
      inv(1, cas(null, 'a')),
      inv(2, cas(null, 'b')),
      ok(2, { ok: false, current: read('a', 1) }),
      ok(1, { ok: true, version: 1 }),
    ];
    expect(check(h)).toBe(true);
  });

  it('lets an ambiguous write take effect late, or never', () => {
    const late = [inv(1, w('a')), info(1), inv(2, r), ok(2, read(null)), inv(2, r), ok(2, read('a'))];
    const never = [inv(1, w('a')), info(1), inv(2, r), ok(2, read(null))];
    expect(check(late)).toBe(true);
    expect(check(never)).toBe(true);
  });

  it('ignores failed operations and never-completed invokes', () => {
    expect(check([inv(1, w('a')), fail(1), inv(2, r), ok(2, read(null))])).toBe(true);
    expect(check([inv(1, w('a')), inv(2, r), ok(2, read('a'))])).toBe(true);
  });

  it('restarts versions after a delete', () => {
    const h = [
      inv(1, w('a')),
      ok(1, { version: 1 }),
      inv(1, { f: 'delete' }),
      ok(1, {}),
      inv(1, w('b')),
      ok(1, { version: 1 }),
    ];
    expect(check(h)).toBe(true);
  });

  it('checks keys independently', () => {
    const h = [inv(1, w('a'), 'x'), ok(1, {}), inv(2, r, 'y'), ok(2, read(null))];
    expect(check(h)).toBe(true);
  });
});

describe('linearizability checker: known-bad histories', () => {
  it('rejects a stale read after a completed write', () => {
    const res = checkLinearizable(casRegister, [inv(1, w('a')), ok(1, {}), inv(2, r), ok(2, read(null))]);
    expect(res.valid).toBe(false);
    expect(res.keys[0]?.counterexample?.stuckAt).toContain('read');
  });

  it('rejects a read of a value nobody wrote', () => {
    expect(check([inv(1, w('a')), ok(1, {}), inv(2, r), ok(2, read('z'))])).toBe(false);
  });

  it('rejects two successful compare-and-sets from the same version', () => {
    const h = [
      inv(1, w('a')),
      ok(1, { version: 1 }),
      inv(1, cas(1, 'b')),
      inv(2, cas(1, 'c')),
      ok(1, { ok: true }),
      ok(2, { ok: true }),
    ];
    expect(check(h)).toBe(false);
  });

  it('rejects a lost update (two read-modify-writes that both succeed on the same version)', () => {
    const h = [
      inv(1, r),
      ok(1, read('0', 1)),
      inv(2, r),
      ok(2, read('0', 1)),
      inv(1, cas(1, '1')),
      ok(1, { ok: true, version: 2 }),
      inv(2, cas(1, '1')),
      ok(2, { ok: true, version: 2 }),
    ];
    expect(check(h)).toBe(false);
  });

  it('rejects a failed compare-and-set whose condition held', () => {
    const h = [
      inv(1, w('a')),
      ok(1, { version: 1 }),
      inv(2, cas(1, 'b')),
      ok(2, { ok: false, current: read('a', 1) }),
    ];
    expect(check(h)).toBe(false);
  });

  it('rejects a failed compare-and-set that reports its own value (an ambiguous write that applied)', () => {
    const h = [
      inv(1, w('a')),
      ok(1, { version: 1 }),
      inv(2, cas(1, 'b')),
      ok(2, { ok: false, current: read('b', 2) }),
    ];
    expect(check(h)).toBe(false);
  });

  it('rejects a value that comes back after being overwritten', () => {
    const h = [
      inv(1, w('a')),
      info(1),
      inv(2, r),
      ok(2, read('a')),
      inv(3, w('b')),
      ok(3, {}),
      inv(2, r),
      ok(2, read('a')),
    ];
    expect(check(h)).toBe(false);
  });

  it('rejects a write whose reported version skips one (applied twice)', () => {
    expect(check([inv(1, w('a')), ok(1, { version: 1 }), inv(1, w('a')), ok(1, { version: 3 })])).toBe(false);
  });

  it('rejects time running backwards within real-time order (write then earlier-completed stale read)', () => {
    const h = [inv(1, w('a')), inv(2, r), ok(2, read('a')), inv(3, r), ok(3, read(null)), ok(1, {})];
    expect(check(h)).toBe(false);
  });
});

describe('linearizability checker: malformed histories', () => {
  it('refuses a process with two operations in flight', () => {
    expect(() => check([inv(1, r), inv(1, r)])).toThrow(MalformedHistoryError);
  });
  it('refuses a completion without an invoke', () => {
    expect(() => check([ok(1, {})])).toThrow(MalformedHistoryError);
  });
});

describe('linearizability checker: ambiguity horizon', () => {
  const at = (e: Event, time: number): Event => ({ ...e, time });
  const late = [
    at(inv(1, w('a')), 0),
    at(info(1), 10),
    at(inv(2, r), 100),
    at(ok(2, read(null)), 110),
    at(inv(2, r), 200),
    at(ok(2, read('a')), 210),
  ];

  it('lets an info write take effect within the horizon after the caller gave up', () => {
    expect(checkLinearizable(casRegister, late, { infoHorizon: 500 }).valid).toBe(true);
    expect(checkLinearizable(casRegister, late).valid).toBe(true);
  });

  it('rejects an info write that shows up after the horizon', () => {
    expect(checkLinearizable(casRegister, late, { infoHorizon: 50 }).valid).toBe(false);
  });

  it('still lets an info write never take effect', () => {
    const never = [at(inv(1, w('a')), 0), at(info(1), 10), at(inv(2, r), 100), at(ok(2, read(null)), 110)];
    expect(checkLinearizable(casRegister, never, { infoHorizon: 0 }).valid).toBe(true);
  });
});

describe('linearizability checker: scale', () => {
  const corrupt = (events: Event[]) => {
    const i = events.findIndex(
      (e, n) =>
        n > events.length / 2 &&
        e.type === 'ok' &&
        e.output !== undefined &&
        'value' in e.output &&
        e.output.value !== null,
    );
    events[i] = { ...(events[i] as Event), output: { value: 'never-written', version: 1 } };
    return events;
  };

  it('checks thousands of operations of a correct register quickly', () => {
    for (const seed of [1, 2, 3]) {
      const events = simulateRegister({
        seed,
        processes: 6,
        operations: 4_000,
        keys: ['a', 'b', 'c'],
        infoRate: 0.03,
      });
      const res = checkLinearizable(casRegister, events, { infoHorizon: 50 });
      expect(res.valid, `seed ${seed}`).toBe(true);
      expect(res.durationMs).toBeLessThan(5_000);
    }
  });

  it('finds a single corrupted read among thousands of operations on one key', () => {
    const events = corrupt(
      simulateRegister({ seed: 7, processes: 6, operations: 4_000, keys: ['a'], infoRate: 0.02 }),
    );
    const res = checkLinearizable(casRegister, events, { infoHorizon: 50 });
    expect(res.valid).toBe(false);
    expect(res.keys[0]?.counterexample?.stuckAt).toContain('never-written');
  });

  it('passes many random correct histories, with heavy concurrency and ambiguity', () => {
    for (let seed = 100; seed < 140; seed++) {
      const events = simulateRegister({ seed, processes: 8, operations: 200, infoRate: 0.1 });
      expect(check(events), `seed ${seed}`).toBe(true);
    }
  });

  it('answers unknown, not a wrong verdict, when the step budget runs out', () => {
    const events = corrupt(
      simulateRegister({ seed: 7, processes: 6, operations: 3_000, keys: ['a'], infoRate: 0.05 }),
    );
    expect(checkLinearizable(casRegister, events, { maxSteps: 1_000 }).valid).toBe('unknown');
  });
});

describe('linearizability checker: agrees with the definition', () => {
  /** A small random history, with one output corrupted half the time. */
  const randomHistory = (seed: number): Event[] => {
    const rand = prng(seed * 7 + 1);
    const events = simulateRegister({ seed, processes: 3, operations: 2 + (seed % 6), infoRate: 0.2 });
    const i = Math.floor(rand() * events.length);
    const e = events[i] as Event;
    if (rand() < 0.5 && e.type === 'ok' && e.output) {
      const m: Record<string, unknown> = { ...e.output };
      if ('value' in m) m.value = rand() < 0.5 ? null : `v${Math.floor(rand() * 6)}`;
      if ('version' in m) m.version = Math.floor(rand() * 4);
      if ('ok' in m) m.ok = !m.ok;
      events[i] = { ...e, output: m as RegisterOutput };
    }
    return events;
  };

  it('gives the brute-force verdict on thousands of tiny histories, with and without pruning', () => {
    let invalid = 0;
    for (let seed = 0; seed < 3_000; seed++) {
      const events = randomHistory(seed);
      const truth = bruteForceLinearizable(casRegister, events);
      if (!truth) invalid++;
      expect(checkLinearizable(casRegister, events).valid, `seed ${seed}`).toBe(truth);
      expect(checkLinearizable(casRegister, events, { noPruning: true }).valid, `seed ${seed}`).toBe(truth);
    }
    expect(invalid).toBeGreaterThan(300);
  });
});
