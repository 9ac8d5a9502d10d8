import type { Observable } from 'rxjs';
import type { Backend, ChangeFeed } from '../../src/contract/backend.js';
import type { WatchEvent } from '../../src/watch/index.js';

/** `backend` with its change feed (or other methods) replaced; its own methods stay bound to it. */
export function withOverrides(backend: Backend, overrides: Partial<Backend>): Backend {
  return {
    kind: backend.kind,
    get: (...a) => backend.get(...a),
    write: (...a) => backend.write(...a),
    delete: (...a) => backend.delete(...a),
    query: (...a) => backend.query(...a),
    transact: (...a) => backend.transact(...a),
    changes: () => backend.changes(),
    ...overrides,
  };
}

export function withFeed(backend: Backend, feed: ChangeFeed): Backend {
  return withOverrides(backend, { changes: () => feed });
}

/** Subscribes and collects events and errors. */
export function collect(obs: Observable<WatchEvent>) {
  const events: WatchEvent[] = [];
  const errors: unknown[] = [];
  const sub = obs.subscribe({ next: (e) => events.push(e), error: (e) => errors.push(e) });
  return { events, errors, sub, labels: () => events.map(fmt) };
}

export function fmt(e: WatchEvent): string {
  const prev = e.previous ? ` (was ${e.previous.text()}@${e.previous.version})` : '';
  return e.type === 'put'
    ? `${e.key}=${e.pair.text()}@${e.pair.version} ${e.cause}${prev}`
    : `${e.key} gone ${e.cause}${prev}`;
}

/** Resolves once `predicate()` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
