import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChangeRecord, StoredItem } from '../../src/contract/backend.js';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { WatchState } from '../../src/watch/state.js';
import type { WatchEvent } from '../../src/watch/types.js';

type Op = { kind: 'put'; payload: string } | { kind: 'delete' };

/** The states and change records of one key under `ops` (a delete of an absent key writes nothing). */
function history(ops: Op[]): { states: (StoredItem | undefined)[]; records: ChangeRecord[] } {
  const states: (StoredItem | undefined)[] = [undefined];
  const records: ChangeRecord[] = [];
  for (const op of ops) {
    const prev = states[states.length - 1];
    if (op.kind === 'delete') {
      if (!prev) continue;
      records.push({ type: 'delete', partition: 'p', key: 'k', previous: prev, cause: 'write' });
      states.push(undefined);
    } else {
      const item: StoredItem = {
        partition: 'p',
        key: 'k',
        version: (prev?.version ?? 0) + 1,
        payload: op.payload,
        fields: {},
      };
      records.push({
        type: 'put',
        partition: 'p',
        key: 'k',
        item,
        ...(prev && { previous: prev }),
        cause: 'write',
      });
      states.push(item);
    }
  }
  return { states, records };
}

const same = (a: StoredItem | undefined, b: StoredItem | undefined) =>
  !a || !b ? a === b : a.version === b.version && a.payload === b.payload;

const label = (e: WatchEvent) => (e.type === 'put' ? `put ${e.pair.version} ${e.pair.text()}` : 'delete');

/**
 * These histories lose no record, so no re-read is needed: a gap judged on an older record of an
 * earlier incarnation of the row (versions restart at 1) would re-read a row the watch already has.
 */
const noReread = () => undefined;

function logical(records: ChangeRecord[]): string[] {
  return records.map((r) => (r.type === 'put' ? `put ${r.item?.version} ${r.item?.payload}` : 'delete'));
}

describe('WatchState ordering and de-duplication (property)', () => {
  it('emits an unbroken run of the real history that ends with every change after the snapshot', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), payload: fc.constantFrom('x', 'y') }),
      fc.record({ kind: fc.constant('delete' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), fc.nat(), fc.nat(), (ops, a, b) => {
        const { states, records } = history(ops);
        const i = a % states.length; // snapshot taken after i records
        const j = b % (i + 1); // the feed delivers from record j + 1 on (older ones are "shortly before")
        const events: WatchEvent[] = [];
        const state = new WatchState('p', new VirtualClock(), (e) => events.push(e), noReread);
        state.snapshot('k', states[i], true);
        for (const r of records.slice(j)) state.apply(r);
        // where the chain attaches: the first state at or after j that looks like the snapshot
        let k = j;
        while (!same(states[k], states[i])) k++;
        expect(events[0]?.cause).toBe('snapshot');
        const emitted = events.slice(1).map(label);
        expect(emitted).toEqual(logical(records.slice(k)));
        expect(emitted.slice(emitted.length - (records.length - i))).toEqual(logical(records.slice(i)));
        expect(events.slice(1).every((e) => e.cause === 'write')).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('emits exactly the changes after the snapshot when no earlier state looks like it', () => {
    const { states, records } = history([
      { kind: 'put', payload: 'x' },
      { kind: 'put', payload: 'y' },
      { kind: 'delete' },
      { kind: 'put', payload: 'z' },
      { kind: 'put', payload: 'w' },
    ]);
    const events: WatchEvent[] = [];
    const state = new WatchState('p', new VirtualClock(), (e) => events.push(e), noReread);
    state.snapshot('k', states[4], true); // z@1
    for (const r of records) state.apply(r); // the whole history arrives, older records first
    expect(events.map(label)).toEqual(['put 1 z', 'put 2 w']);
  });
});
