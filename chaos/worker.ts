/**
 * A chaos worker process: `node --import tsx chaos/worker.ts '<json config>'`. Prints one JSON
 * event per line on stdout, the first one its pid. It exits on SIGTERM/SIGHUP/SIGINT or soon after
 * `stopAt`; the runner's watchdog shell SIGKILLs it if the runner goes away.
 */
import { silenceNodeVersionWarning } from '../src/testing/quiet.js';
import { parseWorkerConfig } from './workers/config.js';
import { runCounter } from './workers/counter.js';
import { runKv } from './workers/kv.js';
import { runWatch } from './workers/watch.js';

silenceNodeVersionWarning();
const config = parseWorkerConfig(process.argv[2]);

process.stdout.write(`${JSON.stringify({ w: config.id, t: Date.now(), ev: 'start', pid: process.pid })}\n`);
for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
// dynastore's timers are unref()ed, and so are its waits inside acquire(): without a handle of
// our own, the process would exit while awaiting a contended lock (see chaos/README-section.md).
const keepAlive = setInterval(() => {}, 60_000);
setTimeout(() => process.exit(0), Math.max(0, config.stopAt - Date.now()) + 30_000);
process.on('unhandledRejection', (reason) => {
  process.stdout.write(
    `${JSON.stringify({ w: config.id, t: Date.now(), ev: 'unhandled-rejection', error: String(reason) })}\n`,
  );
});

const run = { counter: runCounter, kv: runKv, watch: runWatch }[config.kind];
run(config).then(
  () => {
    clearInterval(keepAlive);
    process.exit(0);
  },
  (err: unknown) => {
    process.stdout.write(
      `${JSON.stringify({ w: config.id, t: Date.now(), ev: 'crash', error: String(err) })}\n`,
    );
    process.exit(3);
  },
);
