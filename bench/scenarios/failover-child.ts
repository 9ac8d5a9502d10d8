/**
 * The lock holder of the failover scenario, run in its own process so it can be killed with
 * SIGKILL: acquires the lock, prints `held <token>`, keeps heartbeating until killed. Every write
 * it sends is printed as `send <t>` and, once answered, `done <t> ok|failed` (t: when it was sent,
 * epoch ms), so the runner knows the holder's own deadline: leaseMs after its last renewal.
 * Usage: node --import tsx bench/scenarios/failover-child.ts <ours|peer|peerDefault> <endpoint> <table> <key> <leaseMs> <heartbeatMs>
 */
import { Dynastore } from '../../src/index.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { Meter } from '../meter.js';
import { PeerLocks } from '../peer/client.js';
import { epochNow } from '../sleep.js';

const [side, endpoint, table, key, leaseArg, heartbeatArg] = process.argv.slice(2);
if (!side || !endpoint || !table || !key || !leaseArg || !heartbeatArg) {
  console.error(
    'usage: failover-child <ours|peer|peerDefault> <endpoint> <table> <key> <leaseMs> <heartbeatMs>',
  );
  process.exit(2);
}
const timing = { leaseMs: Number(leaseArg), heartbeatMs: Number(heartbeatArg) };
// Heartbeat timers may be unref()ed: keep the process alive until it is killed.
setInterval(() => {}, 60_000);

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems']);
const trace = (operation: string, startedAt: number, ok?: boolean) => {
  if (!WRITES.has(operation)) return;
  console.log(ok === undefined ? `send ${startedAt}` : `done ${startedAt} ${ok ? 'ok' : 'failed'}`);
};

if (side === 'peer' || side === 'peerDefault') {
  const locks = new PeerLocks({
    endpoint,
    tableName: table,
    meter: new Meter(),
    ...timing,
    retryCount: 1_000,
    trustLocalTime: side === 'peer',
    trace,
  });
  const lease = await locks.acquire(key);
  console.log(`held ${lease.token}`);
} else {
  const client = localDynamoClient(endpoint);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      if (!WRITES.has(operation)) return next(args);
      const t = epochNow();
      trace(operation, t);
      try {
        const out = await next(args);
        trace(operation, t, true);
        return out;
      } catch (err) {
        trace(operation, t, false);
        throw err;
      }
    },
    { step: 'initialize', name: 'benchWriteTimes' },
  );
  const store = new Dynastore({ client, tableName: table });
  const lease = await store.lock(key, timing).acquire();
  console.log(`held ${lease.token}`);
}
