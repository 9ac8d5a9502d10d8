import type { Harness } from './harness.js';

/** Settles `p` while letting (virtual or real) time pass in steps, up to `maxMs`. */
export async function within<T>(h: Harness, p: Promise<T>, maxMs: number, stepMs = 25): Promise<T> {
  let done = false;
  let value: T | undefined;
  let failure: { error: unknown } | undefined;
  p.then(
    (v) => {
      done = true;
      value = v;
    },
    (error: unknown) => {
      done = true;
      failure = { error };
    },
  );
  for (let spent = 0; !done; spent += stepMs) {
    if (spent > maxMs) throw new Error(`not settled within ${maxMs} ms`);
    await h.passTime(stepMs);
  }
  if (failure) throw failure.error;
  return value as T;
}
