/**
 * The lock holder of the failover scenario, run in its own process so it can be killed with
 * SIGKILL: acquires the lock, prints `held <token>`, keeps heartbeating until killed.
 * Usage: node --import tsx bench/scenarios/failover-child.ts <ours|peer> <endpoint> <table> <key> <leaseMs> <heartbeatMs>
 */
import { Dynastore } from '../../src/index.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { Meter } from '../meter.js';
import { PeerLocks } from '../peer/client.js';

const [side, endpoint, table, key, leaseArg, heartbeatArg] = process.argv.slice(2);
if (!side || !endpoint || !table || !key || !leaseArg || !heartbeatArg) {
  console.error('usage: failover-child <ours|peer> <endpoint> <table> <key> <leaseMs> <heartbeatMs>');
  process.exit(2);
}
const timing = { leaseMs: Number(leaseArg), heartbeatMs: Number(heartbeatArg) };
// Heartbeat timers may be unref()ed: keep the process alive until it is killed.
setInterval(() => {}, 60_000);

if (side === 'peer') {
  const locks = new PeerLocks({
    endpoint,
    tableName: table,
    meter: new Meter(),
    ...timing,
    retryCount: 1_000,
  });
  const lease = await locks.acquire(key);
  console.log(`held ${lease.token}`);
} else {
  const store = new Dynastore({ client: localDynamoClient(endpoint), tableName: table });
  const lease = await store.lock(key, timing).acquire();
  console.log(`held ${lease.token}`);
}
