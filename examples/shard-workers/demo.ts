/**
 * The work-group demo in one command: starts three shard workers (worker.ts) as child processes,
 * prints who owns which shard each time it changes, then stops one gracefully (its shards move at
 * once), kills one with SIGKILL (its shards move once its 5 s session can be taken over), starts a
 * new one (the group rebalances, moving only what it must), and stops them all.
 *
 *   npm run example:shards
 *
 * With AWS_ENDPOINT_URL_DYNAMODB set it uses that DynamoDB; otherwise it starts an embedded
 * DynamoDB Local (Java 17+) and points the workers at it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connectFromEnv } from '../shared/connect.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const { store, endpoint, close } = await connectFromEnv();
const group = store.workGroup('example-encoders');
const t0 = Date.now();
const log = (text: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${text}`);

const workers = new Map<string, ChildProcess>();
function start(id: string): void {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, WORKER_ID: id, ...(endpoint && { AWS_ENDPOINT_URL_DYNAMODB: endpoint }) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  workers.set(id, child);
}

let last = '';
const sub = group.observe().subscribe({
  next: (members) => {
    const line = [...members].map(([id, owned]) => `${id}: [${owned.join(',')}]`).join('  ');
    if (line !== last) log(line || '(no member)');
    last = line;
  },
  error: (err: unknown) => log(`watch failed: ${String(err)}`),
});

async function settle(what: string, members: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    const owned = [...(await group.published()).values()];
    const all = owned.flat();
    // settled: every shard claimed once, each member at its share (⌊12/M⌋ or ⌈12/M⌉; a member that
    // started first holds more until it releases its surplus), and the lock table agrees
    const balanced = owned.every(
      (o) => o.length >= Math.floor(12 / members) && o.length <= Math.ceil(12 / members),
    );
    if (owned.length === members && new Set(all).size === 12 && all.length === 12 && balanced) {
      if ((await group.assignment()).size === 12) break;
    }
    if (Date.now() - started > 60_000) throw new Error(`not settled after ${what}`);
    await sleep(100);
  }
  log(`settled after ${what}: ${(await group.assignment()).size} of 12 shards held`);
}

try {
  log('starting workers a, b, c');
  for (const id of ['a', 'b', 'c']) start(id);
  await settle('the start', 3);
  log('stopping c gracefully (SIGTERM): its shards move at once');
  workers.get('c')?.kill('SIGTERM');
  await settle('the leave', 2);
  log('killing b with SIGKILL: its shards move once its session can be taken over');
  workers.get('b')?.kill('SIGKILL');
  await settle('the kill', 1);
  log('starting d and e: the group rebalances, moving only what it must');
  start('d');
  start('e');
  await settle('the joins', 3);
  const counters = store.partition('example-progress');
  let total = 0;
  for await (const pair of counters.list({ prefix: 'progress/' })) total += Number(pair.text());
  log(`the shards' fenced counters add up to ${total}`);
} finally {
  sub.unsubscribe();
  for (const child of workers.values()) child.kill('SIGTERM');
  await Promise.all(
    [...workers.values()].map((c) =>
      c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)),
    ),
  );
  await close();
  log('done');
}
