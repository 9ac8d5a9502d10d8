import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCounter } from '../../chaos/checker/counter.js';
import { checkElection } from '../../chaos/checker/election.js';
import { checkExclusion } from '../../chaos/checker/exclusion.js';
import { checkLinearizable } from '../../chaos/checker/linearizability.js';
import { casRegister } from '../../chaos/checker/model.js';
import { checkSessions } from '../../chaos/checker/session.js';
import { defaultPlan } from '../../chaos/faults/plan.js';
import { FaultProxy } from '../../chaos/faults/proxy.js';
import { kvHistory } from '../../chaos/runner/collect.js';
import type { WorkerLine } from '../../chaos/workers/common.js';
import type { WorkerConfig } from '../../chaos/workers/config.js';
import { runCounter } from '../../chaos/workers/counter.js';
import { runElection } from '../../chaos/workers/election.js';
import { runKv } from '../../chaos/workers/kv.js';
import { runLease } from '../../chaos/workers/lease.js';
import { runSession } from '../../chaos/workers/session.js';
import { KeyModifiedError } from '../../src/contract/errors/store.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';

const LEASE_MS = 600;

let table: DynamoTable;
const proxies: FaultProxy[] = [];
const port = () => Number(new URL(table.endpoint).port);

beforeAll(async () => {
  table = await useDynamoTable();
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await table?.cleanup();
});

async function proxy(seed: number): Promise<FaultProxy> {
  const p = await FaultProxy.start({ port: port() }, undefined, seed);
  proxies.push(p);
  return p;
}

function config(
  kind: WorkerConfig['kind'],
  id: string,
  endpoint: string,
  runMs: number,
  extra: Partial<WorkerConfig>,
): WorkerConfig {
  return {
    kind,
    id,
    endpoint,
    tableName: table.tableName,
    seed: id.length * 7 + runMs,
    skewMs: 0,
    stopAt: Date.now() + runMs,
    requestTimeoutMs: 1_000,
    maxAttempts: 3,
    ...extra,
  };
}

describe('quick chaos against DynamoDB Local', () => {
  it('a key/value history through the faulty proxy is linearizable when SDK retries are off', async () => {
    const p = await proxy(11);
    p.setPlan(defaultPlan(1, 1_500));
    const lines: WorkerLine[] = [];
    const kv = { partition: 'quick-kv', keys: ['a', 'b'], clients: 4, thinkMs: [5, 30] as const };
    await runKv(config('kv', 'kv', p.endpoint, 5_000, { kv, maxAttempts: 1 }), (l) => lines.push(l));
    const { events, infos } = kvHistory(lines);
    const result = checkLinearizable(casRegister, events, { infoHorizon: 10_000 });
    expect(Object.values(p.counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(events.length).toBeGreaterThan(100);
    expect(
      result.valid,
      JSON.stringify(result.keys.find((k) => k.valid !== true)?.counterexample, null, 2),
    ).toBe(true);
    expect(infos).toBeGreaterThanOrEqual(0);
  }, 30_000);

  it('fenced writes delayed past the lease are refused; the same workload without fencing loses updates', async () => {
    // Each worker talks through its own proxy; right after a worker reads the counter, its
    // writes (heartbeats included) are held in the network for 3 leases, as if it were paused.
    const run = async (name: string, fenced: boolean) => {
      const lines: WorkerLine[] = [];
      const byWorker = new Map<string, FaultProxy>();
      let victim: string | undefined;
      let hits = 0;
      const onLine = (l: WorkerLine) => {
        lines.push(l);
        const p = byWorker.get(l.w);
        if (!p) return;
        if (l.ev === 'read' && victim === undefined && hits < 3) {
          victim = l.w;
          hits++;
          p.setPlan({ stallMs: 0, write: { latency: { p: 1, minMs: 3 * LEASE_MS, maxMs: 3 * LEASE_MS } } });
        } else if (l.w === victim && l.ev.startsWith('write-')) {
          p.setPlan(undefined);
          victim = undefined;
        }
      };
      const counter = {
        fenced,
        partition: 'quick',
        lockKey: `${name}-lock`,
        counterKey: `${name}-n`,
        leaseMs: LEASE_MS,
        maxClockSkewMs: 100,
        workMs: [10, 40] as const,
      };
      await Promise.all(
        [0, 1, 2].map(async (i) => {
          const p = await proxy(100 + i);
          const c = config('counter', `${name}-${i}`, p.endpoint, 7_000, {
            counter,
            requestTimeoutMs: 10 * LEASE_MS,
          });
          byWorker.set(c.id, p);
          await runCounter(c, onLine);
        }),
      );
      const final = await new Dynastore({ client: table.client, tableName: table.tableName })
        .partition('quick')
        .get(`${name}-n`);
      return checkCounter(lines as never, final ? final.json<{ n: number }>().n : 0);
    };
    const [fenced, control] = await Promise.all([run('fenced', true), run('control', false)]);
    expect(fenced.details).toEqual([]);
    expect(fenced.violations).toBe(0);
    expect(fenced.acknowledged).toBeGreaterThan(3);
    expect(control.lostUpdates, 'the checker must catch the unfenced run').toBeGreaterThan(0);
  }, 40_000);

  it('lease holders with clocks within maxClockSkewMs never overlap; 1 s apart, the checker sees overlaps', async () => {
    const p = await proxy(13);
    p.setPlan(defaultPlan(1, 1_500));
    const hold = {
      leaseMs: LEASE_MS,
      maxClockSkewMs: 100,
      holdMs: [100, 3 * LEASE_MS] as const,
      sampleMs: 10,
    };
    const run = async (name: string, skews: readonly number[]) => {
      const lines: WorkerLine[] = [];
      await Promise.all(
        skews.map((skewMs, i) =>
          runLease(
            config('lease', `${name}-${i}`, p.endpoint, 6_000, {
              skewMs,
              seed: 40 + i,
              lease: { ...hold, lockKey: `${name}-lock` },
            }),
            (l) => lines.push(l),
          ),
        ),
      );
      return checkExclusion(lines, { claim: 'held', id: 'token', start: 'granted', end: 'release' });
    };
    // Pairwise at most 90 ms apart (< 100). In the control, one clock is ahead by more than
    // leaseMs + maxClockSkewMs (700 ms): every lease of the two others looks expired to it, so
    // whenever it waits it takes the lock at once, and the holder only finds out at its next renewal.
    const [within, beyond] = await Promise.all([run('within', [0, 45, -45]), run('beyond', [0, 0, 1_000])]);
    expect(within.details).toEqual([]);
    expect(within.holds).toBeGreaterThan(3);
    expect(beyond.overlaps, 'the checker must catch a holder displaced by a fast clock').toBeGreaterThan(0);
  }, 30_000);

  it('sessions holding many locks, one stalled past its lease: no key held twice, no lost update; a clock far ahead takes live sessions', async () => {
    // Each worker talks through its own proxy. Right after a worker reads a counter, its writes
    // (the session's renewals included) are held in the network for 2 leases, as if it were
    // paused: its session runs out, the others take its locks over, its late fenced write must be
    // refused. 3 workers x 3 loops over 5 keys: always someone waiting for a key.
    // Longer leases than the other tests': on a busy machine DynamoDB Local may take a second to
    // answer a write, and a session that cannot renew in time is lost without any fault.
    const leaseMs = 3_000;
    const run = async (name: string, skews: readonly number[], stall: boolean) => {
      const lines: WorkerLine[] = [];
      const byWorker = new Map<string, FaultProxy>();
      let victim: string | undefined;
      let stalls = 0;
      const onLine = (l: WorkerLine) => {
        lines.push(l);
        const p = byWorker.get(l.w);
        if (!p || !stall) return;
        if (l.ev === 'read' && victim === undefined && stalls < 2) {
          victim = l.w;
          stalls++;
          p.setPlan({ stallMs: 0, write: { latency: { p: 1, minMs: 2 * leaseMs, maxMs: 2 * leaseMs } } });
        } else if (l.w === victim && l.ev.startsWith('write-')) {
          p.setPlan(undefined);
          victim = undefined;
        }
      };
      const session = {
        leaseMs,
        maxClockSkewMs: 200,
        holdMs: [200, 3 * leaseMs] as const,
        sampleMs: 10,
        partition: `${name}-counters`,
        keys: [0, 1, 2, 3, 4].map((k) => `${name}-${k}`),
        slots: 3,
        workMs: [10, 40] as const,
        thinkMs: [10, 60] as const,
      };
      await Promise.all(
        skews.map(async (skewMs, i) => {
          const p = await proxy(200 + i);
          const c = config('session', `${name}-${i}`, p.endpoint, 14_000, {
            skewMs,
            seed: 80 + i,
            session,
            requestTimeoutMs: 10 * leaseMs,
          });
          byWorker.set(c.id, p);
          await runSession(c, onLine);
        }),
      );
      const kv = new Dynastore({ client: table.client, tableName: table.tableName }).partition(
        session.partition,
      );
      const finals = new Map<string, number>();
      for (const k of session.keys) finals.set(k, (await kv.get(k))?.json<{ n: number }>().n ?? 0);
      return checkSessions(lines as never, finals);
    };
    // Within: pairwise at most 90 ms apart (< 200). Beyond: one clock ahead by more than
    // leaseMs + maxClockSkewMs, so every other session looks expired to it and it takes their locks.
    const [within, beyond] = await Promise.all([
      run('sessions', [0, 45, -45], true),
      run('sessions-beyond', [0, 4_500], false),
    ]);
    expect(within.details).toEqual([]);
    expect(within.violations).toBe(0);
    expect(within.maxLocksPerSession).toBeGreaterThan(1);
    expect(within.takeovers, 'a stalled session loses its locks to the others').toBeGreaterThan(0);
    expect(within.acknowledged).toBeGreaterThan(3);
    expect(
      beyond.overlaps,
      'the checker must catch a live session displaced by a fast clock',
    ).toBeGreaterThan(0);
  }, 60_000);

  it('candidates elect one leader per term, terms increasing, never two at once', async () => {
    const p = await proxy(17);
    p.setPlan(defaultPlan(1, 1_500));
    const lines: WorkerLine[] = [];
    const election = {
      name: 'quick-election',
      leaseMs: LEASE_MS,
      maxClockSkewMs: 100,
      holdMs: [200, 2 * LEASE_MS] as const,
      sampleMs: 20,
    };
    await Promise.all(
      [0, 45, -45].map((skewMs, i) =>
        runElection(
          config('election', `candidate-${i}`, p.endpoint, 5_000, { skewMs, seed: 60 + i, election }),
          (l) => lines.push(l),
        ),
      ),
    );
    const v = checkElection(lines);
    expect(v.details).toEqual([]);
    expect(v.violations).toBe(0);
    expect(v.terms).toBeGreaterThan(2);
  }, 30_000);

  // Found by the chaos run: the SDK retries a conditional write whose first attempt applied but
  // whose answer was lost; the retry fails its condition against the caller's own write. atomicPut
  // tags each write with an id and recognises its own row in the failed check's ALL_OLD.
  it('an atomicPut whose answer was lost after it applied reports success', async () => {
    const p = await proxy(7);
    const client = localDynamoClient(p.endpoint);
    try {
      const kv = new Dynastore({ client, tableName: table.tableName }).partition('ambiguous');
      const first = await kv.put('k', 'v1');
      p.injectNext('write', 'dropAfterApply');
      const outcome = await kv.atomicPut('k', 'v2', { previous: first }).catch((err: unknown) => err);
      if (outcome instanceof KeyModifiedError) expect(outcome.current?.text()).not.toBe('v2');
      expect(outcome).not.toBeInstanceOf(Error);
    } finally {
      client.destroy();
    }
  });

  it('an atomicPut create whose answer was lost after it applied reports success', async () => {
    const p = await proxy(9);
    const client = localDynamoClient(p.endpoint);
    try {
      const kv = new Dynastore({ client, tableName: table.tableName }).partition('ambiguous');
      p.injectNext('write', 'dropAfterApply');
      const pair = await kv.atomicPut('created', 'mine');
      expect(pair.version).toBe(1);
      expect(p.counts.dropAfterApply).toBe(1);
    } finally {
      client.destroy();
    }
  });
});
