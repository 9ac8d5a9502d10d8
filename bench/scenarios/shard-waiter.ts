/**
 * One waiting process of the shard-limited handoff scenario: its own Dynastore (so its own Streams
 * poller, as one container or Lambda on AWS) through the proxy. Prints `ready`, then `rounds`
 * times: `waiting <t>`, acquires the lock, `granted <t>`, holds it `holdMs`, `release <t>`,
 * releases, pauses up to `holdMs`. Times are epoch ms. Exits when done.
 * Usage: node --import tsx bench/scenarios/shard-waiter.ts <endpoint> <table> <key> <leaseMs> <heartbeatMs> <rounds> <holdMs>
 */
import { Dynastore } from '../../src/index.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { epochNow, sleep } from '../sleep.js';

const [endpoint, table, key, leaseArg, heartbeatArg, roundsArg, holdArg] = process.argv.slice(2);
if (!endpoint || !table || !key || !leaseArg || !heartbeatArg || !roundsArg || !holdArg) {
  console.error('usage: shard-waiter <endpoint> <table> <key> <leaseMs> <heartbeatMs> <rounds> <holdMs>');
  process.exit(2);
}
const holdMs = Number(holdArg);
const client = localDynamoClient(endpoint);
const store = new Dynastore({ client, tableName: table });
const lock = store.lock(key, { leaseMs: Number(leaseArg), heartbeatMs: Number(heartbeatArg) });
console.log('ready');
for (let round = 0; round < Number(roundsArg); round++) {
  console.log(`waiting ${epochNow()}`);
  const lease = await lock.acquire({ waitMs: 600_000 });
  console.log(`granted ${epochNow()}`);
  await sleep(holdMs);
  console.log(`release ${epochNow()}`);
  await lease.release();
  await sleep(Math.random() * holdMs);
}
client.destroy();
