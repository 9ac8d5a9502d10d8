/**
 * One member of the `work group failover` scenario, in its own process so that it can be killed
 * with SIGKILL. Prints, with epoch ms: `send <t>` for every write it sends (its floor: the session's
 * own deadline is leaseMs after its last renewal), `joining <t>`, `joined <t>`, `got <shard> <t>`,
 * `stop <shard> <t>` (its onShard work told to stop), `writes <n> <t>` (writes answered so far)
 * once a second, and `left <t>` after a graceful leave on SIGTERM.
 * Lines go to <log file>.
 * Usage: node --import tsx bench/scenarios/work-group-child.ts <endpoint> <table> <group> <id> <shards> <leaseMs> <log file>
 */
import { appendFileSync } from 'node:fs';
import { Dynastore } from '../../src/index.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { epochNow } from '../sleep.js';

const [endpoint, table, group, id, shardsArg, leaseArg, logFile] = process.argv.slice(2);
if (!endpoint || !table || !group || !id || !shardsArg || !leaseArg || !logFile) {
  console.error('usage: work-group-child <endpoint> <table> <group> <id> <shards> <leaseMs> <log file>');
  process.exit(2);
}
/** One event line, appended to the log file (stdout keeps only a tail; the runner reads it all). */
const log = (line: string) => appendFileSync(logFile, `${line}\n`);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems']);
let writes = 0;
const client = localDynamoClient(endpoint);
client.middlewareStack.add(
  (next, context) => async (args) => {
    const operation = String(context.commandName ?? '').replace(/Command$/, '');
    if (WRITES.has(operation)) log(`send ${epochNow()}`);
    return next(args);
  },
  { step: 'initialize', name: 'benchWriteTimes' },
);
const store = new Dynastore({
  client,
  tableName: table,
  onCall: (e) => {
    if (WRITES.has(e.operation)) writes++;
  },
});
// warm the client and DynamoDB Local's code paths before the session's lease starts: a cold first
// call on a loaded 2-core machine can take longer than a 2 s lease
const warm = store.partition('bench-warm-up');
for (let i = 0; i < 10; i++) await warm.get(`k${i % 3}`);
await store.lock(`bench-warm-up/${id}`).holder();
const session = await store.session({ leaseMs: Number(leaseArg), owner: id });
log(`joining ${epochNow()}`);
const member = await store.workGroup(group, { shards: Number(shardsArg) }).join(session, {
  onShard: async (shard, lease) => {
    log(`got ${shard} ${epochNow()}`);
    await new Promise<void>((resolve) => {
      if (lease.signal.aborted) resolve();
      else lease.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    log(`stop ${shard} ${epochNow()}`);
  },
});
log(`joined ${epochNow()}`);
member.signal.addEventListener('abort', () => log(`ended ${epochNow()} ${String(member.signal.reason)}`));
const tick = setInterval(() => log(`writes ${writes} ${epochNow()}`), 1_000);
process.once('SIGTERM', () => {
  void (async () => {
    await member.leave();
    log(`left ${epochNow()}`);
    clearInterval(tick);
    await session.close();
    client.destroy();
    process.exit(0);
  })();
});
