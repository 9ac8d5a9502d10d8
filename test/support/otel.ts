import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { type DataPoint, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** A metric reader the test collects from on demand. */
class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** One data point of a collected metric, flattened. */
export interface Point {
  readonly name: string;
  readonly attributes: Record<string, unknown>;
  /** A counter's sum; a histogram's count. */
  readonly value: number;
  /** A histogram's sum. */
  readonly sum?: number;
}

/** The OpenTelemetry SDK registered globally with in-memory exporters, as an application would. */
export interface OtelHarness {
  /** Finished spans so far. */
  spans(name?: string): ReadableSpan[];
  /** The metrics recorded so far (cumulative). */
  points(name?: string): Promise<Point[]>;
  /** Forgets the spans recorded so far. */
  resetSpans(): void;
  shutdown(): Promise<void>;
}

/**
 * Registers the OpenTelemetry SDK (a tracer provider with an in-memory exporter, a meter provider
 * with a reader collected on demand, and the AsyncLocalStorage context manager that carries the
 * active span across awaits) as the process's global providers.
 *
 * @example
 * ```ts
 * const otel = registerOtel();
 * // ... use dynastore ...
 * expect(otel.spans('dynastore.lock.acquire')).toHaveLength(1);
 * ```
 */
export function registerOtel(): OtelHarness {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(contextManager))
    throw new Error('a context manager was registered already');
  if (!trace.setGlobalTracerProvider(tracerProvider))
    throw new Error('a tracer provider was registered already');
  if (!metrics.setGlobalMeterProvider(meterProvider))
    throw new Error('a meter provider was registered already');
  return {
    spans: (name) => exporter.getFinishedSpans().filter((s) => name === undefined || s.name === name),
    resetSpans: () => exporter.reset(),
    points: async (name) => {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      const out: Point[] = [];
      for (const scope of resourceMetrics.scopeMetrics)
        for (const m of scope.metrics) {
          if (name !== undefined && m.descriptor.name !== name) continue;
          for (const p of m.dataPoints as DataPoint<unknown>[]) {
            const v = p.value as number | { count: number; sum?: number };
            out.push({
              name: m.descriptor.name,
              attributes: p.attributes,
              ...(typeof v === 'number'
                ? { value: v }
                : { value: v.count, ...(v.sum !== undefined && { sum: v.sum }) }),
            });
          }
        }
      return out;
    },
    shutdown: async () => {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
      context.disable();
    },
  };
}
