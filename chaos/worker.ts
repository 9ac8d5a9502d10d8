/**
 * A chaos worker process: `node --import tsx chaos/worker.ts '<json config>'`. Prints one JSON
 * event per line on stdout, the first one its pid. It exits on SIGTERM/SIGHUP/SIGINT or soon after
 * `stopAt`; the runner's watchdog shell SIGKILLs it if the runner goes away.
 */
import { silenceNodeVersionWarning } from '../src/process/quiet.js';
import { parseWorkerConfig } from './workers/config.js';
import { runCounter } from './workers/counter.js';
import { runElection } from './workers/election.js';
import { runKv } from './workers/kv.js';
import { runLease } from './workers/lease.js';
import { runSession } from './workers/session.js';
import { runWatch } from './workers/watch.js';
import { runWorkGroup } from './workers/workgroup.js';

silenceNodeVersionWarning();
const config = parseWorkerConfig(process.argv[2]);

process.stdout.write(`${JSON.stringify({ w: config.id, t: Date.now(), ev: 'start', pid: process.pid })}\n`);
for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
// No keep-alive handle of our own: dynastore's awaited waits (acquire, campaign, clock.sleep)
// keep the process alive, its background timers do not. A worker whose event loop runs dry early
// exits before its stopAt, and the runner reports it. The safety net below is unref()ed for that.
setTimeout(() => process.exit(0), Math.max(0, config.stopAt - Date.now()) + 30_000).unref();
process.on('unhandledRejection', (reason) => {
  process.stdout.write(
    `${JSON.stringify({ w: config.id, t: Date.now(), ev: 'unhandled-rejection', error: String(reason) })}\n`,
  );
});

const run = {
  counter: runCounter,
  kv: runKv,
  watch: runWatch,
  lease: runLease,
  election: runElection,
  session: runSession,
  workgroup: runWorkGroup,
}[config.kind];
run(config).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stdout.write(
      `${JSON.stringify({ w: config.id, t: Date.now(), ev: 'crash', error: String(err) })}\n`,
    );
    process.exit(3);
  },
);
