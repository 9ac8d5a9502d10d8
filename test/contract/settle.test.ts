import { describe, expect, it } from 'vitest';
import type { WriteInput } from '../../src/contract/backend.js';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { BackendError } from '../../src/contract/errors/store.js';
import {
  readBackIfAmbiguous,
  readBackUnlessUnreachable,
  type SettleOptions,
  settledWrite,
} from '../../src/contract/settle.js';
import { WRITE_ID_FIELD } from '../../src/contract/write-id.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import { FaultyBackend } from '../lock/support/sim.js';

const ambiguous = () => new BackendError('UpdateItem', 'answer lost', true, { ambiguous: true });
const unreachable = () => new BackendError('UpdateItem', 'ECONNREFUSED', true, { unreachable: true });
const throttled = () => new BackendError('UpdateItem', 'ThrottlingException', true);

function setup() {
  const clock = new VirtualClock();
  const memory = new MemoryBackend({ clock });
  const backend = new FaultyBackend(memory, clock);
  let answers = 0;
  const onAnswer = () => {
    answers++;
  };
  return { memory, backend, onAnswer, answers: () => answers };
}

const input: WriteInput = { partition: 'p', key: 'k', payload: 'v', condition: { op: 'notExists' } };

describe('settledWrite: one write, settled by reading back', () => {
  it('tags the write with a fresh write id and reports it applied from the answer', async () => {
    const { backend, onAnswer, answers } = setup();
    const s = await settledWrite(backend, input, { readBackOn: readBackIfAmbiguous, onAnswer });
    expect(s.outcome).toBe('applied');
    if (s.outcome !== 'applied') return;
    expect(s.item.payload).toBe('v');
    expect(typeof s.item.fields[WRITE_ID_FIELD]).toBe('string');
    expect(answers()).toBe(1);
    expect(backend.count('get')).toBe(0);
  });

  it("a failed condition against someone else's row is a refusal carrying that row", async () => {
    const { backend, memory } = setup();
    await memory.write({ partition: 'p', key: 'k', payload: 'theirs' });
    const s = await settledWrite(backend, input, { readBackOn: readBackIfAmbiguous });
    expect(s.outcome).toBe('refused');
    if (s.outcome === 'refused') expect(s.result.current?.payload).toBe('theirs');
  });

  it('a failed condition against a row carrying our write id is our write (a resend)', async () => {
    const { memory } = setup();
    const resending = Object.assign(Object.create(memory) as MemoryBackend, {
      write: async (w: WriteInput) => {
        await memory.write(w); // the first attempt applies, its answer is lost
        return memory.write(w); // the resend is refused by our own row
      },
    });
    const s = await settledWrite(resending, input, { readBackOn: readBackIfAmbiguous });
    expect(s.outcome).toBe('applied');
  });

  it('an ambiguous error is read back: applied when the row carries our id, else unknown with the row', async () => {
    const applied = setup();
    applied.backend.faults = [{ op: 'write', when: 'after', error: ambiguous }];
    const a = await settledWrite(applied.backend, input, {
      readBackOn: readBackIfAmbiguous,
      onAnswer: applied.onAnswer,
    });
    expect(a.outcome).toBe('applied');
    expect(applied.answers()).toBe(1); // the read answered; the write did not
    const lost = setup();
    lost.backend.faults = [{ op: 'write', when: 'before', error: ambiguous }];
    const l = await settledWrite(lost.backend, input, { readBackOn: readBackIfAmbiguous });
    expect(l).toMatchObject({ outcome: 'unknown', readBack: { ok: true, row: undefined } });
    if (l.outcome === 'unknown') expect(l.error).toBeInstanceOf(BackendError);
  });

  it('a failed read back is reported with its own error', async () => {
    const { backend } = setup();
    backend.faults = [
      { op: 'write', when: 'after', error: ambiguous },
      { op: 'get', when: 'before', error: throttled },
    ];
    const s = await settledWrite(backend, input, { readBackOn: readBackIfAmbiguous });
    expect(s.outcome).toBe('unknown');
    if (s.outcome !== 'unknown') return;
    expect((s.error as BackendError).ambiguous).toBe(true);
    expect(s.readBack?.ok).toBe(false);
    if (s.readBack && !s.readBack.ok) expect((s.readBack.error as Error).message).toMatch(/Throttling/);
  });

  it('the rule decides which errors are read back; an unreachable endpoint never is', async () => {
    const cases: [SettleOptions['readBackOn'], () => Error, boolean][] = [
      [readBackIfAmbiguous, ambiguous, true],
      [readBackIfAmbiguous, throttled, false],
      [readBackIfAmbiguous, unreachable, false],
      [readBackIfAmbiguous, () => new Error('not a BackendError'), false],
      [readBackUnlessUnreachable, ambiguous, true],
      [readBackUnlessUnreachable, throttled, true],
      [readBackUnlessUnreachable, () => new Error('not a BackendError'), true],
      [readBackUnlessUnreachable, unreachable, false],
    ];
    for (const [rule, error, reads] of cases) {
      const { backend } = setup();
      backend.faults = [{ op: 'write', when: 'before', error }];
      const s = await settledWrite(backend, input, { readBackOn: rule });
      expect(s.outcome).toBe('unknown');
      expect(backend.count('get')).toBe(reads ? 1 : 0);
      if (s.outcome === 'unknown') expect(s.readBack !== undefined).toBe(reads);
    }
  });

  it('with isOurs the write is not tagged, and a failed condition is a refusal even on a matching row', async () => {
    const { backend, memory } = setup();
    const s = await settledWrite(
      backend,
      { ...input, condition: undefined },
      {
        readBackOn: readBackUnlessUnreachable,
        isOurs: (item) => item.payload === 'v',
      },
    );
    expect(s.outcome).toBe('applied');
    if (s.outcome === 'applied') expect(s.item.fields[WRITE_ID_FIELD]).toBeUndefined();
    const refused = await settledWrite(backend, input, {
      readBackOn: readBackUnlessUnreachable,
      isOurs: (item) => item.payload === 'v',
    });
    expect(refused.outcome).toBe('refused');
    backend.faults = [{ op: 'write', when: 'after', error: throttled }];
    const read = await settledWrite(
      backend,
      { ...input, condition: undefined, payload: 'w' },
      {
        readBackOn: readBackUnlessUnreachable,
        isOurs: (item) => item.payload === 'w',
      },
    );
    expect(read.outcome).toBe('applied');
    expect((await memory.get('p', 'k'))?.payload).toBe('w');
  });
});
