/**
 * A sequential specification for the linearizability checker. `step` returns every state the
 * operation can lead to from `state` given what it returned; `[]` when that output is impossible
 * there. `output === undefined` means the outcome is unknown (an `info` operation): return the
 * states it leads to if it took effect (not taking effect is the checker's business).
 */
export interface Model<S, I, O> {
  readonly name: string;
  init(): S;
  step(state: S, input: I, output: O | undefined): readonly S[];
  /**
   * True when the operation, with this output, leaves every state as it was (a read, a failed
   * compare-and-set). The checker linearizes such operations greedily.
   */
  readOnly(input: I, output: O | undefined): boolean;
  /** Equal states must give equal keys (memoization). */
  key(state: S): string;
  /** One line for reports. */
  describe(input: I, output: O | undefined): string;
}

/** A register: `version` 0 and `value` null when the key is absent. Versions count writes since creation. */
export interface RegisterState {
  readonly version: number;
  readonly value: string | null;
}

/** What a compare-and-set expects: the key absent, at a version, or holding a value. */
export type Expectation =
  | { readonly absent: true }
  | { readonly version: number }
  | { readonly value: string };

/** The operations of the compare-and-set register (dynastore's get / put / atomicPut / delete). */
export type RegisterInput =
  | { readonly f: 'read' }
  | { readonly f: 'write'; readonly value: string }
  | { readonly f: 'cas'; readonly expect: Expectation; readonly value: string }
  | { readonly f: 'delete' };

/** A read sees a value (null: absent) and, when known, its version. */
export interface ReadOutput {
  readonly value: string | null;
  readonly version?: number;
}

/**
 * Outputs, by operation: read -> {@link ReadOutput}; write -> `{ version? }` (the new version);
 * cas -> `{ ok: true, version? }` or `{ ok: false, current? }` (what the failed check saw);
 * delete -> `{}`.
 */
export type RegisterOutput =
  | ReadOutput
  | { readonly version?: number }
  | { readonly ok: true; readonly version?: number }
  | { readonly ok: false; readonly current?: ReadOutput };

const ABSENT: RegisterState = { version: 0, value: null };

function sees(state: RegisterState, seen: ReadOutput): boolean {
  if (seen.value !== state.value) return false;
  return seen.version === undefined || seen.version === state.version;
}

function holds(state: RegisterState, expect: Expectation): boolean {
  if ('absent' in expect) return state.version === 0;
  if ('version' in expect) return state.version !== 0 && state.version === expect.version;
  return state.value === expect.value;
}

function written(
  state: RegisterState,
  value: string,
  output: { version?: number } | undefined,
): RegisterState[] {
  const next = { version: state.version + 1, value };
  return output?.version === undefined || output.version === next.version ? [next] : [];
}

/**
 * The compare-and-set register dynastore's key/value API implements per key: a version that starts
 * at 1 and grows by one on every write, and restarts after a delete.
 *
 * @example
 * ```ts
 * const result = checkLinearizable(casRegister, events);
 * ```
 */
export const casRegister: Model<RegisterState, RegisterInput, RegisterOutput> = {
  name: 'cas-register',
  init: () => ABSENT,
  key: (s) => (s.value === null ? `${s.version}` : `${s.version}=${s.value}`),
  readOnly: (input, output) =>
    input.f === 'read' ||
    (input.f === 'cas' && output !== undefined && (output as { ok?: boolean }).ok === false),
  step(state, input, output) {
    switch (input.f) {
      case 'read':
        if (output === undefined) return [state];
        return sees(state, output as ReadOutput) ? [state] : [];
      case 'write':
        return written(state, input.value, output as { version?: number } | undefined);
      case 'delete':
        return [ABSENT];
      case 'cas': {
        const ok = holds(state, input.expect);
        if (output === undefined) return ok ? written(state, input.value, undefined) : [];
        const out = output as { ok: boolean; version?: number; current?: ReadOutput };
        if (out.ok) return ok ? written(state, input.value, out) : [];
        if (ok) return [];
        return out.current === undefined || sees(state, out.current) ? [state] : [];
      }
    }
  },
  describe(input, output) {
    const out = output === undefined ? '?' : JSON.stringify(output);
    switch (input.f) {
      case 'read':
        return `read -> ${out}`;
      case 'write':
        return `write(${JSON.stringify(input.value)}) -> ${out}`;
      case 'delete':
        return `delete -> ${out}`;
      case 'cas':
        return `cas(${JSON.stringify(input.expect)}, ${JSON.stringify(input.value)}) -> ${out}`;
    }
  },
};
