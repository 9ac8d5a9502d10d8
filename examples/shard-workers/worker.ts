/**
 * A shard worker: joins the work group "example-encoders" (12 shards) and works the shards it is
 * given, each a fenced counter: every 500 ms it adds one to `progress/<shard>`, a write that is
 * refused once another worker holds the shard. Start it several times (or run `demo.ts`, which
 * does): the shards spread evenly; stop one (Ctrl-C) and its shards move at once; kill one
 * (`kill -9`) and they move once its session can be taken over (5 s lease here).
 *
 *   npm run -s dynastore -- dev                         # terminal 1: DynamoDB Local on :8000
 *   export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000
 *   node --import tsx examples/shard-workers/worker.ts  # terminals 2, 3, ...
 *   npm run -s dynastore -- shards example-encoders --watch
 *
 * Environment: WORKER_ID (default <hostname>-<pid>), SESSION_LEASE_MS (default 5000).
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { FencedError } from '../../src/index.js';
import { connectFromEnv, shutdownSignal } from '../shared/connect.js';

const id = process.env.WORKER_ID ?? `${hostname()}-${process.pid}`;
const leaseMs = Number(process.env.SESSION_LEASE_MS ?? 5_000);
const log = (text: string) => console.log(`${new Date().toISOString().slice(11, 23)} ${id}: ${text}`);

const shutdown = shutdownSignal();
const { store, close } = await connectFromEnv();
const progress = store.partition('example-progress');
const group = store.workGroup('example-encoders', { shards: 12 });
log(`members before joining: ${(await group.members()).join(', ') || 'none'}`);
await using session = await store.session({ leaseMs, owner: id });

await using member = await group.join(session, {
  onShard: async (shard, lease) => {
    log(`got shard ${shard} (token ${lease.token})`);
    while (!lease.signal.aborted) {
      const key = `progress/${shard}`;
      const count = Number((await progress.get(key))?.text() ?? 0) + 1;
      try {
        // fenced: refused once another worker holds the shard, even if this one has not noticed yet
        await progress.put(key, String(count), { fence: lease.lease });
      } catch (err) {
        if (err instanceof FencedError) return;
        throw err;
      }
      await sleep(500, undefined, { signal: lease.signal }).catch(() => undefined);
    }
    log(`stopped shard ${shard}`);
  },
});
log(`joined: ${(await group.members()).join(', ')}`);

await new Promise<void>((resolve) => {
  shutdown.addEventListener('abort', () => resolve(), { once: true });
  member.signal.addEventListener('abort', () => resolve(), { once: true });
});
if (!shutdown.aborted) log(`member ended: ${String(member.signal.reason)}`);
await member.leave().catch((err: unknown) => log(`leave: ${String(err)}`));
log(`left with shards ${member.owned().join(',') || 'none'}; bye`);
await session.close();
await close();
