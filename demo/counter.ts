import type { Lease } from '../src/index.js';
import { type Dynastore, FencedError } from '../src/index.js';
import { type CounterValue, DEMO_PARTITION } from './protocol.js';

/**
 * One unit of lock-protected work: read the shared counter and this worker's tally, then write
 * both +1 in a single DynamoDB transaction that also checks the lock row still carries this
 * lease's token (`lease.guard()`). A holder whose lease ended (a long pause, a partition) gets
 * `FencedError` and nothing is written: DynamoDB itself refuses the stale write.
 *
 * `pauseMs` freezes the whole process between the read and the write (no timers, no heartbeats),
 * like a stop-the-world GC pause, to show fencing at work.
 */
export async function incrementCounter(
  store: Dynastore,
  lease: Lease,
  workerId: string,
  pauseMs = 0,
): Promise<CounterValue> {
  const kv = store.partition(DEMO_PARTITION);
  const counter = await kv.get('counter');
  const tally = await kv.get(`tally/${workerId}`);
  const count = counter ? (counter.json<CounterValue>().count ?? 0) : 0;
  const mine = tally ? Number(tally.text()) : 0;
  if (pauseMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pauseMs);
  // A careful worker would check lease.signal here; a paused process cannot, so the fence must hold.
  const next: CounterValue = { count: count + 1, by: workerId, token: lease.token.toString() };
  const result = await store.backend.transact([
    lease.guard(),
    {
      kind: 'write',
      partition: DEMO_PARTITION,
      key: 'counter',
      payload: JSON.stringify(next),
      encoding: null,
    },
    {
      kind: 'write',
      partition: DEMO_PARTITION,
      key: `tally/${workerId}`,
      payload: String(mine + 1),
      encoding: null,
    },
  ]);
  if (!result.ok) {
    const row = result.current[0];
    const current = row?.fields.token;
    throw new FencedError(lease.key, lease.token, current === undefined ? undefined : BigInt(current));
  }
  return next;
}
