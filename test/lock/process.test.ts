import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dynastore } from '../../src/facade/dynastore.js';
import { decodeLockRow } from '../../src/lock/row.js';
import { type GuardedProcess, spawnGuarded } from '../../src/testing/guarded-process.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';

const LEASE = 600;
const SKEW = 50;
const POLL = 50;
const fixture = fileURLToPath(new URL('./fixtures/holder.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

let t: DynamoTable;
let store: Dynastore;
const children: GuardedProcess[] = [];
beforeAll(async () => {
  t = await useDynamoTable();
  store = new Dynastore({ client: t.client, tableName: t.tableName });
});
afterAll(async () => {
  await Promise.all(children.map((c) => c.stop(100)));
  await t?.cleanup();
});

function startHolder(key: string): GuardedProcess {
  const child = spawnGuarded(
    process.execPath,
    ['--import', 'tsx', fixture, t.endpoint, t.tableName, key, String(LEASE), String(SKEW)],
    {
      cwd: root,
    },
  );
  children.push(child);
  return child;
}

/** The child's JSON lines so far. */
function lines(child: GuardedProcess): Record<string, string>[] {
  return child
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, string>);
}

async function waitForEvent(
  child: GuardedProcess,
  event: string,
  timeoutMs = 30_000,
): Promise<Record<string, string>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = lines(child).find((l) => l.event === event);
    if (found) return found;
    if (child.exitInfo() || Date.now() > until)
      throw new Error(`no "${event}" from the child; output:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const lockOptions = { leaseMs: LEASE, maxClockSkewMs: SKEW, heartbeatMs: LEASE / 4, pollMs: POLL };

describe('child-process holders on DynamoDB Local', () => {
  it('kill -9 of the holder: taken over after its last lease end, within the skew, one poll and a round trip', async () => {
    const child = startHolder('killed');
    const acquired = await waitForEvent(child, 'acquired');
    process.kill(await child.pid, 'SIGKILL');
    await child.exited;
    const row = decodeLockRow(await store.backend.get('_lock/killed', 'killed'));
    const lastLeaseEnd = row?.leaseUntil as number;
    expect(row?.owner).toMatch(/^child-/);
    const lease = await store.lock('killed', lockOptions).acquire({ waitMs: 10_000 });
    const takenAt = Date.now();
    expect(lease.token).toBeGreaterThan(BigInt(acquired.token as string));
    // Never before the dead holder's lease ended (one machine: one wall clock). Rule (b) (first
    // sight + a lease + drift margin) may beat rule (a) (lease end + skew) when the kill followed
    // a renewal closely, so the skew is no lower bound.
    expect(takenAt).toBeGreaterThan(lastLeaseEnd);
    // Slack for DynamoDB Local round trips on a loaded machine; a full extra lease would be a bug.
    expect(takenAt - (lastLeaseEnd + SKEW)).toBeLessThan(POLL + LEASE);
    await lease.release();
  });

  it('SIGSTOP past the lease: the holder is taken over; on SIGCONT its fenced write is refused and its signal aborts', async () => {
    const child = startHolder('paused');
    await waitForEvent(child, 'acquired');
    const pid = await child.pid;
    process.kill(pid, 'SIGSTOP');
    try {
      const lease = await store.lock('paused', lockOptions).acquire({ waitMs: 10_000 });
      const kv = store.partition('work');
      await kv.put('output', `parent:${lease.token}`, { fence: lease });
      process.kill(pid, 'SIGCONT');
      const refused = await waitForEvent(child, 'write-refused');
      expect(refused.name).toBe('FencedError');
      const aborted = await waitForEvent(child, 'aborted');
      expect(['expired', 'taken']).toContain(aborted.reason);
      expect((await kv.get('output'))?.text()).toBe(`parent:${lease.token}`);
      await lease.release();
    } finally {
      try {
        process.kill(pid, 'SIGCONT'); // never leave it stopped
      } catch {
        // it already exited
      }
    }
  });
});
