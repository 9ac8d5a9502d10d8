import type { KVPair } from '../../src/index.js';
import type { BenchEnv } from '../env.js';
import { interleave, type Runner } from '../interleave.js';
import { Meter } from '../meter.js';
import type { Profile } from '../profile.js';
import { type ScenarioResult, type SideResult, sideResult } from '../results.js';
import { clientCost } from './kv-cpu.js';
import { RawKv } from './raw-kv.js';

const GOAL =
  'dynastore within 10% of the raw SDK v3 commands (judged on p50 latency, the figure least moved by other load)';
const VALUE = 'x'.repeat(100);

/**
 * `kv put`, `kv get`, `kv atomicPut (CAS)`: dynastore's partition API against the same raw SDK v3
 * commands, one worker each, interleaved, each side on its own keys.
 *
 * @example
 * ```ts
 * const rows = await kvOverhead(env, profile);
 * ```
 */
export async function kvOverhead(env: BenchEnv, profile: Profile): Promise<ScenarioResult[]> {
  const rows: ScenarioResult[] = [];
  const keys = 50;
  const oursMeter = new Meter();
  const rawMeter = new Meter();
  const kv = env.ours(oursMeter).partition('bench-kv');
  const raw = new RawKv(env.client, env.ourTable, rawMeter);
  const shape = {
    rounds: profile.kvRounds,
    opsPerRound: profile.kvOpsPerRound,
    warmupOps: profile.warmupOps,
  };

  const put = await interleave(
    [
      { side: 'ours', meter: oursMeter, op: async (i) => void (await kv.put(`ours/${mod(i, keys)}`, VALUE)) },
      {
        side: 'raw',
        meter: rawMeter,
        op: async (i) => void (await raw.put('bench-kv', `raw/${mod(i, keys)}`, VALUE)),
      },
    ],
    shape,
  );
  const cost = await clientCost(profile.mode === 'full' ? 20_000 : 4_000);
  rows.push(row('kv put', 'put', put, cost.put));

  const get = await interleave(
    [
      { side: 'ours', meter: oursMeter, op: async (i) => void (await kv.get(`ours/${mod(i, keys)}`)) },
      {
        side: 'raw',
        meter: rawMeter,
        op: async (i) => void (await raw.get('bench-kv', `raw/${mod(i, keys)}`)),
      },
    ],
    shape,
  );
  rows.push(row('kv get', 'consistent get', get, cost.get));

  let pair: KVPair = await kv.put('ours/cas', VALUE);
  let version = await raw.put('bench-kv', 'raw/cas', VALUE);
  const cas: Runner[] = [
    {
      side: 'ours',
      meter: oursMeter,
      op: async () => {
        pair = await kv.atomicPut('ours/cas', VALUE, { previous: pair });
      },
    },
    {
      side: 'raw',
      meter: rawMeter,
      op: async () => {
        version = await raw.compareAndSwap('bench-kv', 'raw/cas', VALUE, version);
      },
    },
  ];
  rows.push(row('kv atomicPut (CAS)', 'compare-and-swap on version', await interleave(cas, shape), cost.cas));
  return rows;
}

function row(
  name: string,
  op: string,
  m: Awaited<ReturnType<typeof interleave>>,
  cost: { ours: number; raw: number },
): ScenarioResult {
  const ours = m.ours && sideResult(m.ours, { extra: { clientUsPerOp: cost.ours } });
  const raw = m.raw && sideResult(m.raw, { extra: { clientUsPerOp: cost.raw } });
  return {
    name,
    op,
    settings: '1 worker, 100-byte values, strongly consistent reads',
    ours: ours ?? null,
    peer: null,
    raw: raw ?? null,
    goal: GOAL,
    goalMet: ours && raw ? withinTenPercent(ours, raw) : null,
    note:
      'peer: none (dynamodb-lock-client has no key/value API); compared with raw @aws-sdk/client-dynamodb. ' +
      'clientUsPerOp: microseconds of client-side work per call, measured apart against a stub client that answers at once (no network, no SDK middleware)',
  };
}

function withinTenPercent(ours: SideResult, raw: SideResult): boolean {
  return ours.p50Ms !== null && raw.p50Ms !== null && ours.p50Ms <= raw.p50Ms * 1.1;
}

function mod(i: number, n: number): number {
  return ((i % n) + n) % n;
}
