/**
 * `npm run demo`: leader election, locks with fencing and watch, end to end, on an embedded
 * DynamoDB Local (no AWS account). Three workers campaign for leadership and increment a shared
 * counter under a lock; a watcher follows the changes; one worker freezes while holding the lock
 * (its stale write is refused by DynamoDB); the leader is SIGKILLed and replaced. Exits 0 when
 * every check holds, leaving no process behind.
 */
import { createTable } from '../src/dynamodb/create-table.js';
import { Dynastore } from '../src/facade/dynastore.js';
import { silenceNodeVersionWarning } from '../src/process/quiet.js';
import { startLocalDynamo } from '../src/testing/local-dynamo.js';
import { type DemoChild, killAll, runningChildren, startChild } from './processes.js';
import { type ChildMessage, type CounterValue, DEMO_PARTITION, DEMO_TIMING } from './protocol.js';

silenceNodeVersionWarning();
const TABLE = 'dynastore-demo';
const WORKERS = ['w1', 'w2', 'w3'];
const start = performance.now();
const elapsed = () => performance.now() - start;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (who: string, text: string) =>
  console.log(`[${(elapsed() / 1000).toFixed(1).padStart(5)}s] ${who.padEnd(8)} ${text}`);

interface Received {
  readonly from: string;
  readonly message: ChildMessage;
}
const received: Received[] = [];
const waiters = new Set<() => void>();
/** Elections are logged as they happen, except the one after the kill (logged with its failover time). */
let electionsLogged = true;
function onMessage(from: string, message: ChildMessage): void {
  received.push({ from, message });
  if (message.type === 'change') log('watcher', `${DEMO_PARTITION}/${message.key} = ${message.text}`);
  if (message.type === 'elected' && electionsLogged) log(from, `elected leader, term ${message.term}`);
  for (const wake of [...waiters]) wake();
}
/** Waits for a message (from index `since` on) matching `test`. */
function waitFor<T extends ChildMessage>(
  what: string,
  test: (r: Received) => r is Received & { message: T },
  timeoutMs: number,
  since = 0,
): Promise<{ from: string; message: T }> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const hit = received.slice(since).find(test);
      if (!hit) return;
      clearTimeout(timer);
      waiters.delete(check);
      resolve(hit);
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`timed out after ${seconds(timeoutMs)} waiting for ${what}`));
    }, timeoutMs);
    waiters.add(check);
    check();
  });
}
const is =
  <K extends ChildMessage['type']>(type: K, from?: (name: string) => boolean) =>
  (r: Received): r is Received & { message: Extract<ChildMessage, { type: K }> } =>
    r.message.type === type && (from === undefined || from(r.from));

async function main(): Promise<boolean> {
  console.log('dynastore demo: leader election, locks with fencing tokens and watch on DynamoDB\n');
  log('demo', 'starting DynamoDB Local (embedded, in memory; no AWS account needed)');
  const local = await startLocalDynamo();
  try {
    await createTable({ client: local.client, tableName: TABLE });
    log('demo', `DynamoDB Local at ${local.endpoint}, table "${TABLE}" created`);
    const store = new Dynastore({ client: local.client, tableName: TABLE });
    const kv = store.partition(DEMO_PARTITION);
    await kv.put('status', 'starting');
    return await scenario(store, local.endpoint);
  } finally {
    killAll();
    await local.stop();
  }
}

async function scenario(store: Dynastore, endpoint: string): Promise<boolean> {
  const kv = store.partition(DEMO_PARTITION);
  const watcher = startChild('watcher', 'watcher', [endpoint, TABLE], onMessage);
  await waitFor('the watcher', is('ready'), 30_000);
  log('watcher', `following every key of partition "${DEMO_PARTITION}" (prints the counter every 10)`);

  const workers = new Map<string, DemoChild>();
  for (const id of WORKERS) workers.set(id, startChild(id, 'worker', [endpoint, TABLE, id], onMessage));
  log(
    'demo',
    `started ${WORKERS.length} workers: each campaigns for leader and increments the counter under a lock`,
  );
  const { election, counterLock } = DEMO_TIMING;
  log('demo', `leases: election ${election.leaseMs} ms, counter lock ${counterLock.leaseMs} ms`);

  const first = await waitFor('a leader', is('elected'), 60_000);
  /** Every election so far, in order (on a starved machine a leader can lose its lease early). */
  const elections = () => received.filter(is('elected')).map((r) => ({ id: r.from, term: r.message.term }));
  await sleep(4_000);

  // Fencing: a worker freezes while holding the counter lock, past its lease.
  const frozen = WORKERS.find((id) => id !== first.from) ?? 'w2';
  const pauseMs = 2_500;
  let mark = received.length;
  workers.get(frozen)?.send({ type: 'stall', ms: pauseMs });
  const stalling = await waitFor(
    'the pause',
    is('stalling', (f) => f === frozen),
    15_000,
    mark,
  );
  log(
    frozen,
    `holds the counter lock (token ${stalling.message.token}) and freezes for ${seconds(pauseMs)}, like a long GC pause`,
  );
  const woke = await waitFor(
    'the frozen worker',
    (r): r is Received & { message: Extract<ChildMessage, { type: 'fenced' | 'stale-accepted' }> } =>
      r.from === frozen && (r.message.type === 'fenced' || r.message.type === 'stale-accepted'),
    15_000,
    mark,
  );
  if (woke.message.type === 'fenced') {
    log(
      frozen,
      `woke up and wrote with token ${woke.message.token}: REFUSED by DynamoDB (the lock is at token ${woke.message.current ?? '?'} now)`,
    );
  } else {
    log(frozen, 'woke up; nobody had taken the lock meanwhile, so its write was still valid');
  }
  await sleep(1_500);

  // Failover: SIGKILL the leader (the last one elected).
  const leader = elections().at(-1) ?? { id: first.from, term: first.message.term };
  const victim = leader.id;
  electionsLogged = false;
  mark = received.length;
  await kv.put('status', `SIGKILL ${victim}`);
  log('demo', `SIGKILL ${victim} (the leader, term ${leader.term}): no release, no goodbye`);
  const killedAt = performance.now();
  workers.get(victim)?.proc.kill('SIGKILL');
  const next = await waitFor(
    'a new leader',
    is('elected', (f) => f !== victim),
    30_000,
    mark,
  );
  const failoverMs = performance.now() - killedAt;
  log(next.from, `elected leader ${seconds(failoverMs)} after the kill, term ${next.message.term}`);
  electionsLogged = true;
  await sleep(3_000);

  // Stop everyone and check.
  mark = received.length;
  await kv.put('status', 'stopping');
  log('demo', 'stopping the workers (they finish their increment, release and resign)');
  const survivors = WORKERS.filter((id) => id !== victim);
  for (const id of survivors) workers.get(id)?.send({ type: 'stop' });
  const done = await Promise.all(
    survivors.map((id) =>
      waitFor(
        `${id} to stop`,
        is('done', (f) => f === id),
        20_000,
        mark,
      ),
    ),
  );
  await Promise.all(survivors.map((id) => workers.get(id)?.exited));
  watcher.send({ type: 'stop' });
  const watched = await waitFor('the watcher', is('watch-summary'), 20_000, mark);
  await watcher.exited;

  const counter = (await kv.get('counter'))?.json<CounterValue>().count ?? 0;
  const tallies = new Map<string, number>();
  for await (const pair of kv.list({ prefix: 'tally/' }))
    tallies.set(pair.key.slice('tally/'.length), Number(pair.text()));
  const tallySum = [...tallies.values()].reduce((a, b) => a + b, 0);
  const acked = new Map(done.map((d) => [d.from, d.message.increments]));
  const survivorsAgree = survivors.every((id) => acked.get(id) === (tallies.get(id) ?? 0));
  const refused = done.reduce((n, d) => n + d.message.fenced, 0);
  const w = watched.message;
  const leaders = elections();
  const termsIncrease = leaders.every(
    (l, i) => i === 0 || BigInt(l.term) > BigInt(leaders[i - 1]?.term ?? '0'),
  );

  const checks: [string, boolean][] = [
    [
      `counter = ${counter} = work done (tallies ${[...tallies].map(([id, n]) => `${id}:${n}`).join(' + ')} = ${tallySum})`,
      counter === tallySum && counter > 0,
    ],
    [`every surviving worker's acknowledged increments match its tally`, survivorsAgree],
    [
      `the watcher saw ${w.counterWrites} counter writes, each exactly +1 (lost updates: ${w.gaps})`,
      w.gaps === 0 && w.lastCount === counter,
    ],
    [
      `fencing violations (a write with an older token after a newer one): ${w.tokenRegressions}`,
      w.tokenRegressions === 0,
    ],
    [`stale writes refused by DynamoDB: ${refused}`, true],
    [
      `leaders: ${leaders.map((l) => `${l.id} (term ${l.term})`).join(', then ')}; terms increase`,
      termsIncrease && leaders.length >= 2,
    ],
    [
      `failover after SIGKILL of the leader: ${seconds(failoverMs)} (election lease ${election.leaseMs} ms)`,
      failoverMs < election.leaseMs * 3,
    ],
  ];
  console.log('\nSummary');
  for (const [text, ok] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${text}`);
  return checks.every(([, ok]) => ok);
}

main().then(
  async (ok) => {
    const left = runningChildren();
    console.log(
      `\n${ok ? 'All checks passed' : 'Some checks FAILED'} in ${seconds(elapsed())}; processes left running: ${left}.`,
    );
    process.exit(ok && left === 0 ? 0 : 1);
  },
  (err: unknown) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    killAll();
    process.exit(1);
  },
);
