import { emitter, errorText, type Sink, sleep, stdoutSink, workerStore } from './common.js';
import type { WatchConfig, WorkerConfig } from './config.js';

/**
 * The watch workload: `watchers` subscribers per key in this process (sharing the process's one
 * Streams poller), printing every event's key and version; a watcher whose Observable errors
 * (e.g. `WatchCompactedError`) prints the error and subscribes again (a new snapshot). The writer
 * process also puts to the keys in turn until `stopAt`. Watchers keep going for `drainMs` after
 * that so they can catch up, then stop.
 *
 * @example
 * ```ts
 * await runWatch(config);
 * ```
 */
export async function runWatch(config: WorkerConfig, sink: Sink = stdoutSink): Promise<void> {
  const c = config.watch as WatchConfig;
  const emit = emitter(config, sink);
  const { store, client } = workerStore(config, { pollIntervalMs: 200, idlePollIntervalMs: 500 });
  const kv = store.partition(c.partition);
  const subscriptions = new Set<{ unsubscribe(): void }>();
  let closing = false;
  const follow = (watcher: string, key: string, attempt: number) => {
    const sub = `${watcher}#${attempt}`;
    const s = kv.watch(key).subscribe({
      next: (e) =>
        emit('watch', {
          watcher,
          sub,
          key: e.key,
          type: e.type,
          cause: e.cause,
          version: e.pair?.version ?? 0,
        }),
      error: (err: unknown) => {
        subscriptions.delete(s);
        emit('watch-error', { watcher, sub, key, error: errorText(err) });
        if (!closing) setTimeout(() => follow(watcher, key, attempt + 1), 200);
      },
    });
    subscriptions.add(s);
  };
  for (let w = 0; w < c.watchers; w++) for (const key of c.keys) follow(`${config.id}.w${w}`, key, 0);
  try {
    if (c.writer) {
      let i = 0;
      while (Date.now() < config.stopAt) {
        const key = c.keys[i++ % c.keys.length] as string;
        try {
          const pair = await kv.put(key, `v${i}`);
          emit('put-ok', { key, version: pair.version });
        } catch (err) {
          emit('put-error', { key, error: errorText(err) });
        }
        await sleep(c.writeEveryMs);
      }
    } else {
      await sleep(Math.max(0, config.stopAt - Date.now()));
    }
    await sleep(c.drainMs);
  } finally {
    closing = true;
    for (const s of subscriptions) s.unsubscribe();
    emit('watch-done');
    client.destroy();
  }
}
