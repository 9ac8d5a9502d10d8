import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Dynastore } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import type { BenchEnv } from '../env.js';
import { interleave, type Runner } from '../interleave.js';
import { Meter } from '../meter.js';
import type { Profile } from '../profile.js';
import { type ScenarioResult, type SideResult, sideResult } from '../results.js';
import { DEFAULT_TIMING } from './lock-cycle.js';

/**
 * `telemetry cost`: the uncontended lock cycle (acquire + release) with OpenTelemetry off
 * (`telemetry: false`) and with an OpenTelemetry SDK registered that records every span and
 * metric and exports them nowhere (a tracer provider with a no-op span processor, a meter provider
 * without readers, the AsyncLocalStorage context manager), side by side, interleaved, on
 * DynamoDB Local (loopback) and on the memory backend (where nothing hides the CPU cost). The SDK
 * is unregistered afterwards, so the scenarios after it run as before.
 *
 * @example
 * ```ts
 * const rows = await telemetryCost(env, profile);
 * ```
 */
export async function telemetryCost(env: BenchEnv, profile: Profile): Promise<ScenarioResult[]> {
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new NoopSpanProcessor()] });
  const meterProvider = new MeterProvider();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  try {
    const options = {
      rounds: profile.cycleRounds,
      opsPerRound: profile.cycleOpsPerRound,
      warmupOps: Math.ceil(profile.warmupOps / 2),
    };
    const dynamo = (on: boolean, meter: Meter) => {
      const store = env.ours(meter, on ? {} : { telemetry: false });
      if ((store.telemetry !== undefined) !== on) throw new Error('telemetry side misconfigured');
      return store;
    };
    const memory = (on: boolean) => {
      const store = new Dynastore({ backend: new MemoryBackend(), ...(on ? {} : { telemetry: false }) });
      if ((store.telemetry !== undefined) !== on) throw new Error('telemetry side misconfigured');
      return store;
    };
    const onDynamo = await compare((on, meter) => dynamo(on, meter), options);
    const onMemory = await compare((on) => memory(on), { ...options, opsPerRound: options.opsPerRound * 20 });
    return [
      row('telemetry cost, lock cycle', env.network ?? 'loopback', onDynamo, true),
      // no network to hide it: the SDK's own cost per cycle, for reference (not judged)
      row('telemetry cost, lock cycle on the memory backend', 'in process', onMemory, false),
    ];
  } finally {
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
    trace.disable();
    metrics.disable();
    context.disable();
  }
}

async function compare(
  store: (on: boolean, meter: Meter) => Dynastore,
  options: { rounds: number; opsPerRound: number; warmupOps: number },
): Promise<Compared> {
  const runners: Runner[] = [false, true].map((on) => {
    const meter = new Meter();
    const s = store(on, meter);
    const lock = s.lock(`telemetry-${on ? 'on' : 'off'}`, DEFAULT_TIMING);
    return {
      side: on ? 'oursOtel' : 'ours',
      meter,
      op: async () => {
        const lease = await lock.acquire();
        await lease.release();
      },
    };
  });
  const m = await interleave(runners, options);
  return {
    ...(m.ours && { off: sideResult(m.ours) }),
    ...(m.oursOtel && { on: sideResult(m.oursOtel) }),
    ...(m.ours &&
      m.oursOtel && { paired: pairedRounds(m.ours.latencies, m.oursOtel.latencies, options.opsPerRound) }),
  };
}

interface Compared {
  readonly off?: SideResult;
  readonly on?: SideResult;
  readonly paired?: { readonly meanUs: number; readonly seUs: number; readonly rounds: number };
}

/**
 * The noise of the comparison: per round (the sides alternate round by round), the difference of
 * the two sides' median latency; their mean and its standard error, in microseconds.
 */
function pairedRounds(off: readonly number[], on: readonly number[], perRound: number) {
  const rounds = Math.min(off.length, on.length) / perRound;
  const diffs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const slice = (xs: readonly number[]) => median(xs.slice(r * perRound, (r + 1) * perRound));
    diffs.push((slice(on) - slice(off)) * 1000);
  }
  const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  const sd = Math.sqrt(diffs.reduce((a, d) => a + (d - mean) ** 2, 0) / Math.max(1, diffs.length - 1));
  return { meanUs: mean, seUs: sd / Math.sqrt(diffs.length), rounds: diffs.length };
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function row(name: string, network: string, m: Compared, judged: boolean): ScenarioResult {
  const noise = m.paired;
  // within noise: the per-round difference is within two standard errors of zero, or under 10%
  const withinNoise = noise ? Math.abs(noise.meanUs) <= 2 * noise.seUs : false;
  const ratio = m.off?.p50Ms && m.on?.p50Ms ? m.on.p50Ms / m.off.p50Ms : Number.NaN;
  const addedUs =
    m.off?.p50Ms != null && m.on?.p50Ms != null ? (m.on.p50Ms - m.off.p50Ms) * 1000 : Number.NaN;
  const throughput = m.off?.opsPerSec && m.on?.opsPerSec ? m.on.opsPerSec / m.off.opsPerSec : Number.NaN;
  return {
    name,
    op: 'acquire + release of one free lock',
    settings: `telemetry: false vs an OpenTelemetry SDK registered (every span and metric recorded, exported nowhere), interleaved`,
    network,
    ours: m.off ?? null,
    peer: null,
    oursOtel: m.on && {
      ...m.on,
      extra: {
        p50VsOff: Math.round(ratio * 1000) / 1000,
        opsPerSecVsOff: Math.round(throughput * 1000) / 1000,
        p50AddedUs: Math.round(addedUs),
        ...(noise && { roundDiffUs: Math.round(noise.meanUs), roundDiffSeUs: Math.round(noise.seUs) }),
      },
    },
    ...(judged
      ? {
          goal: 'with the SDK registered, within noise of telemetry off (per-round p50 difference within 2 standard errors of 0, or p50 within 10%)',
          goalMet: Number.isFinite(ratio) ? withinNoise || ratio <= 1.1 : null,
        }
      : { note: 'the SDK recording spans and metrics, with no network call to hide it: for reference' }),
  };
}
