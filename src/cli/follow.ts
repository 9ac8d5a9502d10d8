import type { Observable } from 'rxjs';

/**
 * Follows `source` until `each` returns `true` (done: resolves), the source errors (rejects with
 * its error) or `signal` aborts (rejects with `signal.reason`, which the runner turns into exit
 * code 130 for SIGINT or 143 for SIGTERM). `watch`, `leader --follow`-style loops, `members --watch`
 * and `shards --watch` share it, so an interrupted follow exits the same way everywhere.
 *
 * @example
 * ```ts
 * await follow(group.observe(), signal, (members) => { print(members); });
 * ```
 */
export function follow<T>(
  source: Observable<T>,
  signal: AbortSignal,
  each: (value: T) => boolean | undefined | void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let done = false;
    let sub: { unsubscribe(): void } | undefined;
    const end = (err?: unknown) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      sub?.unsubscribe();
      if (err === undefined) resolve();
      else reject(err);
    };
    const onAbort = () => end(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    sub = source.subscribe({
      next: (value) => {
        if (!done && each(value) === true) end();
      },
      error: (err: unknown) => end(err ?? new Error('watch failed')),
    });
    if (done || signal.aborted) {
      sub.unsubscribe();
      end(signal.aborted ? signal.reason : undefined);
    }
  });
}
