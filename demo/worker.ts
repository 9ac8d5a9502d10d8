/**
 * A demo worker: campaigns for leadership (the leader announces itself in `demo/leader`, fenced
 * by its term) and, leader or not, keeps incrementing the shared counter under a lock.
 *
 * Run by `npm run demo`; by hand: `node --import tsx demo/worker.ts <endpoint> <table> <id>`.
 */

import { Dynastore } from '../src/facade/dynastore.js';
import { FencedError } from '../src/index.js';
import { localDynamoClient } from '../src/testing/local-client.js';
import { childArgs, listen, send } from './child-io.js';
import { incrementCounter } from './counter.js';
import { DEMO_PARTITION, DEMO_TIMING } from './protocol.js';

const { endpoint, table, rest } = childArgs();
const id = rest[0] ?? `worker-${process.pid}`;
const client = localDynamoClient(endpoint);
const store = new Dynastore({ client, tableName: table });
const stop = new AbortController();
let pauseNextMs = 0;
listen((m) => {
  if (m.type === 'stop') stop.abort();
  if (m.type === 'stall') pauseNextMs = m.ms;
});

// 1. Leader election, with Kubernetes-style callbacks.
const election = store.election('demo-leader', DEMO_TIMING.election);
const leading = election.run(
  id,
  {
    onStartedLeading: async (signal, leadership) => {
      send({ type: 'elected', term: leadership.term.toString() });
      // Leader-only work, fenced by the term: a deposed leader's write is refused.
      await store
        .partition(DEMO_PARTITION)
        .put('leader', `${id} (term ${leadership.term})`, { fence: leadership.lease });
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    },
    onStoppedLeading: () => send({ type: 'stopped-leading' }),
  },
  { signal: stop.signal },
);

// 2. Lock-protected work on the shared counter, by every worker.
const counterLock = store.lock('demo-counter', { ...DEMO_TIMING.counterLock, owner: id });
let increments = 0;
let fenced = 0;
while (!stop.signal.aborted) {
  const lease = await counterLock.acquire({ signal: stop.signal }).catch(() => undefined);
  if (!lease) break;
  try {
    const pauseMs = pauseNextMs;
    pauseNextMs = 0;
    if (pauseMs > 0) send({ type: 'stalling', token: lease.token.toString(), ms: pauseMs });
    await incrementCounter(store, lease, id, pauseMs);
    increments++;
    if (pauseMs > 0) send({ type: 'stale-accepted', token: lease.token.toString() });
  } catch (err) {
    if (!(err instanceof FencedError)) throw err;
    fenced++;
    send({ type: 'fenced', token: err.token.toString(), current: err.currentToken?.toString() });
  } finally {
    await lease.release().catch(() => undefined);
  }
  await new Promise((resolve) => setTimeout(resolve, 250 + Math.random() * 500));
}

await leading;
send({ type: 'done', increments, fenced });
client.destroy();
process.disconnect?.();
