import type { HistoryEvent } from '../../../chaos/checker/history.js';
import type {
  Expectation,
  RegisterInput,
  RegisterOutput,
  RegisterState,
} from '../../../chaos/checker/model.js';
import { prng } from '../../../chaos/util/random.js';

export { prng };

export interface SimOptions {
  readonly seed: number;
  readonly processes: number;
  readonly operations: number;
  readonly keys?: readonly string[];
  /** Chance an operation's outcome is lost (recorded as info). @default 0 */
  readonly infoRate?: number;
}

type Event = HistoryEvent<RegisterInput, RegisterOutput>;

interface Planned {
  readonly process: number;
  readonly key: string;
  readonly input: RegisterInput;
  readonly call: number;
  readonly ret: number;
  readonly at: number;
  readonly info: boolean;
  readonly applied: boolean;
  output?: RegisterOutput;
}

/**
 * A history of a correct (linearizable) register: each operation takes effect at a random instant
 * inside its interval. Info operations take effect or not, at random.
 */
export function simulateRegister(o: SimOptions): Event[] {
  const rand = prng(o.seed);
  const keys = o.keys ?? ['k'];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)] as T;
  const clocks = new Array<number>(o.processes).fill(0);
  const planned: Planned[] = [];
  let counter = 0;
  for (let i = 0; i < o.operations; i++) {
    const process = Math.floor(rand() * o.processes);
    const call = (clocks[process] as number) + 1 + Math.floor(rand() * 5);
    const ret = call + 1 + Math.floor(rand() * 20);
    clocks[process] = ret;
    const r = rand();
    const value = `v${counter++}`;
    const input: RegisterInput =
      r < 0.4
        ? { f: 'read' }
        : r < 0.6
          ? { f: 'write', value }
          : r < 0.97
            ? { f: 'cas', expect: { version: 0 }, value }
            : { f: 'delete' };
    const info = input.f !== 'read' && rand() < (o.infoRate ?? 0);
    planned.push({
      process,
      key: pick(keys),
      input,
      call,
      ret,
      at: call + rand() * (ret - call),
      info,
      applied: !info || rand() < 0.5,
    });
  }
  const states = new Map<string, RegisterState>();
  for (const p of [...planned].sort((a, b) => a.at - b.at)) {
    const s = states.get(p.key) ?? { version: 0, value: null };
    if (!p.applied) continue;
    if (p.input.f === 'read') p.output = { value: s.value, version: s.version };
    else if (p.input.f === 'write') {
      states.set(p.key, { version: s.version + 1, value: p.input.value });
      p.output = { version: s.version + 1 };
    } else if (p.input.f === 'delete') {
      states.set(p.key, { version: 0, value: null });
      p.output = {};
    } else {
      // Expect what the key held at a random earlier moment: the current version half the time.
      const expect: Expectation =
        rand() < 0.5
          ? s.version === 0
            ? { absent: true }
            : { version: s.version }
          : { version: Math.max(1, s.version - 1) };
      (p as { input: RegisterInput }).input = { ...p.input, expect };
      const holds = 'absent' in expect ? s.version === 0 : s.version === expect.version;
      if (holds) {
        states.set(p.key, { version: s.version + 1, value: p.input.value });
        p.output = { ok: true, version: s.version + 1 };
      } else {
        p.output = { ok: false, current: { value: s.value, version: s.version } };
      }
    }
  }
  const events: { time: number; order: number; event: Event }[] = [];
  for (const p of planned) {
    events.push({
      time: p.call,
      order: 0,
      event: { type: 'invoke', process: p.process, key: p.key, input: p.input, time: p.call },
    });
    const done: Event = p.info
      ? { type: 'info', process: p.process, key: p.key, time: p.ret }
      : { type: 'ok', process: p.process, key: p.key, output: p.output as RegisterOutput, time: p.ret };
    events.push({ time: p.ret, order: 1, event: done });
  }
  events.sort((a, b) => a.time - b.time || b.order - a.order);
  return events.map((e) => e.event);
}
