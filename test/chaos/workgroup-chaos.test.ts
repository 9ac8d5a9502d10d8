import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSessions } from '../../chaos/checker/session.js';
import { checkSettle, settleBoundMs } from '../../chaos/checker/settle.js';
import { FaultProxy } from '../../chaos/faults/proxy.js';
import type { WorkerLine } from '../../chaos/workers/common.js';
import type { WorkerConfig, WorkGroupConfig } from '../../chaos/workers/config.js';
import { runWorkGroup } from '../../chaos/workers/workgroup.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';

const LEASE_MS = 3_000;

let table: DynamoTable;
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  table = await useDynamoTable();
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await table?.cleanup();
});

/**
 * Three members of a 6-shard group, each through its own proxy; twice a member is stalled in the
 * middle of a shard's counter increment (between its read and its write) for two leases: its
 * session is lost, the others take its shards, and its late write must be refused by the fence.
 */
async function run(name: string, fenced: boolean) {
  const lines: WorkerLine[] = [];
  const byWorker = new Map<string, FaultProxy>();
  let victim: string | undefined;
  let stallEndedAt = 0;
  let stalls = 0;
  const onLine = (l: WorkerLine) => {
    lines.push(l);
    const p = byWorker.get(l.w);
    if (!p) return;
    if (
      l.ev === 'read' &&
      victim === undefined &&
      stalls < 2 &&
      lines.some((x) => x.ev === 'granted' && x.w !== l.w)
    ) {
      victim = l.w;
      stalls++;
      p.setPlan({ stallMs: 0, write: { latency: { p: 1, minMs: 2 * LEASE_MS, maxMs: 2 * LEASE_MS } } });
    } else if (l.w === victim && l.ev.startsWith('write-')) {
      p.setPlan(undefined);
      victim = undefined;
      stallEndedAt = l.t;
    }
  };
  const workgroup: WorkGroupConfig = {
    leaseMs: LEASE_MS,
    maxClockSkewMs: 200,
    holdMs: [0, 0],
    sampleMs: 10,
    group: `${name}-group`,
    shards: 6,
    partition: `${name}-counters`,
    fenced,
    workMs: [10, 40],
    thinkMs: [10, 60],
  };
  await Promise.all(
    [0, 1, 2].map(async (i) => {
      const p = await FaultProxy.start({ port: Number(new URL(table.endpoint).port) }, undefined, 300 + i);
      proxies.push(p);
      const c: WorkerConfig = {
        kind: 'workgroup',
        id: `${name}-${i}`,
        endpoint: p.endpoint,
        tableName: table.tableName,
        seed: 90 + i,
        skewMs: [0, 45, -45][i] ?? 0,
        stopAt: Date.now() + 25_000,
        requestTimeoutMs: 10 * LEASE_MS,
        maxAttempts: 3,
        workgroup,
      };
      byWorker.set(c.id, p);
      await runWorkGroup(c, onLine);
    }),
  );
  const kv = new Dynastore({ client: table.client, tableName: table.tableName }).partition(
    workgroup.partition,
  );
  const finals = new Map<string, number>();
  for (let s = 0; s < workgroup.shards; s++)
    finals.set(`shard-${s}`, (await kv.get(`shard-${s}`))?.json<{ n: number }>().n ?? 0);
  // the faults stop when the last stall ends (the stalled member's late write answered): from
  // then on every shard must be owned again within the session takeover floor + 1 s
  const faultsOffAt = stallEndedAt;
  const settle = checkSettle(lines as never, {
    faultsOffAt,
    boundMs: settleBoundMs({ leaseMs: LEASE_MS, maxClockSkewMs: workgroup.maxClockSkewMs }),
    shards: workgroup.shards,
  });
  return { verdict: checkSessions(lines as never, finals), stalls, settle };
}

describe('work group chaos against DynamoDB Local', () => {
  it('members stalled past their lease inside a shard: no shard worked by two at once, no update lost; the control (no fence) loses updates', async () => {
    const real = await run('wg', true);
    const control = await run('wg-control', false);
    expect(real.stalls).toBeGreaterThan(0);
    expect(real.verdict.details).toEqual([]);
    expect(real.verdict.violations).toBe(0);
    expect(real.verdict.takeovers, 'a stalled member loses its shards to the others').toBeGreaterThan(0);
    expect(real.verdict.acknowledged).toBeGreaterThan(3);
    expect(real.verdict.fencedRejections, "the stalled member's late write is refused").toBeGreaterThan(0);
    expect(real.settle.details, 'every shard owned again within the bound once the stalls end').toEqual([]);
    expect(real.settle.settleMs).toBeGreaterThanOrEqual(0);
    console.log(
      `work group settle after the last stall: ${real.settle.settleMs} ms (bound ${real.settle.boundMs} ms)`,
    );
    expect(control.stalls).toBeGreaterThan(0);
    expect(
      control.verdict.lostUpdates,
      'without the fence the late write overwrites the successor',
    ).toBeGreaterThan(0);
  }, 150_000);
});
