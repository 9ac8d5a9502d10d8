/**
 * Leader election between containers: start this worker as many times as you like (one per
 * container, pod or terminal). Exactly one leads at a time and does the leader-only work; the
 * others wait and take over when it stops (Ctrl-C / SIGTERM: at once) or dies (SIGKILL, crash,
 * network loss: after the lease, 5 s here).
 *
 *   npm run -s dynastore -- dev                         # terminal 1: DynamoDB Local on :8000
 *   export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000
 *   npm run example:leader                              # terminals 2, 3, ...
 *
 * Environment: WORKER_ID (default <hostname>-<pid>), ELECTION_LEASE_MS (default 5000).
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackendError } from '../../src/index.js';
import { connectFromEnv, shutdownSignal } from '../shared/connect.js';

const id = process.env.WORKER_ID ?? `${hostname()}-${process.pid}`;
const leaseMs = Number(process.env.ELECTION_LEASE_MS ?? 5_000);
const log = (text: string) => console.log(`${new Date().toISOString().slice(11, 23)} ${id}: ${text}`);

const shutdown = shutdownSignal();
const { store, close } = await connectFromEnv();
const election = store.election('example-scheduler', { leaseMs });
const work = store.partition('example');

log('campaigning');
// Campaign again after losing leadership (e.g. after a network partition), until shut down.
while (!shutdown.aborted) {
  let ended: string;
  try {
    ({ ended } = await election.run(
      id,
      {
        onNewLeader: (leader, term) =>
          log(leader === id ? `I lead (term ${term})` : `following ${leader} (term ${term})`),
        onStartedLeading: async (signal, leadership) => {
          // Leader-only work. Writes are fenced by the term: once deposed, they are refused.
          for (let tick = 1; !signal.aborted; tick++) {
            try {
              await work.put('schedule', `planned by ${id}, term ${leadership.term}, tick ${tick}`, {
                fence: leadership.lease,
              });
            } catch (err) {
              if (signal.aborted) return; // deposed meanwhile: the fenced write was refused
              throw err;
            }
            log(`leading: planned tick ${tick}`);
            await sleep(1_000, undefined, { signal }).catch(() => undefined);
          }
        },
        onStoppedLeading: () => log('not leading'),
      },
      { signal: shutdown },
    ));
  } catch (err) {
    // DynamoDB unreachable or failing for maxOutageMs (30 s): say so, then try again.
    if (!(err instanceof BackendError) || !err.retryable) throw err;
    log(`${err.message}; campaigning again in 5 s`);
    await sleep(5_000, undefined, { signal: shutdown }).catch(() => undefined);
    continue;
  }
  if (ended === 'lost') log('lost leadership; campaigning again');
}
await close();
log('bye');
