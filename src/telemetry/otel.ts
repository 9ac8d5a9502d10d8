import type { Attributes, Counter, Histogram, Meter, MeterProvider, Span } from '@opentelemetry/api';
import type {
  MetricName,
  SpanName,
  Telemetry,
  TelemetryAttributes,
  TelemetrySpan,
} from '../contract/telemetry.js';
import type { OtelApiModule } from './load-api.js';

/** The instrumentation scope of dynastore's tracer and meter. */
export const SCOPE = 'dynastore';

/** Bucket bounds (seconds) for lock waits, holds and watch lag: 5 ms to 10 minutes. */
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

type Instrument = Histogram | Counter;

const METRICS: Record<MetricName, { kind: 'histogram' | 'counter'; unit: string; description: string }> = {
  'dynastore.lock.acquire.duration': {
    kind: 'histogram',
    unit: 's',
    description: 'Time from the start of an acquire to its outcome (granted, timeout, aborted, error).',
  },
  'dynastore.lock.hold.duration': {
    kind: 'histogram',
    unit: 's',
    description: 'Time a lease was held, from its grant to its release or loss.',
  },
  'dynastore.lease.lost': {
    kind: 'counter',
    unit: '{lease}',
    description: 'Leases lost before their release.',
  },
  'dynastore.lock.takeover': {
    kind: 'counter',
    unit: '{grant}',
    description: 'Grants that took a lock over from a holder whose lease had ended.',
  },
  'dynastore.dynamodb.throttled': {
    kind: 'counter',
    unit: '{request}',
    description: 'DynamoDB requests refused for their rate, by throttling reason.',
  },
  'dynastore.watch.lag': {
    kind: 'histogram',
    unit: 's',
    description: "Time from a change's approximate creation in DynamoDB Streams to its decoding.",
  },
};

/**
 * dynastore's {@link Telemetry} on OpenTelemetry: spans from the global tracer provider, each
 * made active (`startActiveSpan`, i.e. `context.with`) while its work runs, so the spans of the
 * AWS SDK's instrumentation are its children; metrics from the global meter provider. With no SDK
 * registered both are the API's no-ops. The meter provider is looked up on each record, so a
 * provider registered after the store was made is used (instruments are made once per provider).
 *
 * @example
 * ```ts
 * const telemetry = otelTelemetry(api, { lockName: (k) => k, spanAttributes: { 'db.system.name': 'aws.dynamodb' } });
 * ```
 */
export function otelTelemetry(
  api: OtelApiModule,
  options: { lockName: (key: string) => string; spanAttributes: TelemetryAttributes },
): Telemetry {
  const tracer = api.trace.getTracer(SCOPE);
  const spanAttributes = options.spanAttributes as Attributes;
  let provider: MeterProvider | undefined;
  let instruments: Map<MetricName, Instrument> | undefined;
  const instrument = (name: MetricName): Instrument => {
    const now = api.metrics.getMeterProvider();
    if (now !== provider || !instruments) {
      provider = now;
      instruments = makeInstruments(now.getMeter(SCOPE));
    }
    return instruments.get(name) as Instrument;
  };

  return {
    lockName: options.lockName,
    inSpan<T>(name: SpanName, attributes: TelemetryAttributes, fn: (span: TelemetrySpan) => Promise<T>) {
      return tracer.startActiveSpan(
        name,
        { kind: api.SpanKind.INTERNAL, attributes: { ...spanAttributes, ...(attributes as Attributes) } },
        async (span) => {
          const handle = new SpanHandle(api, span);
          try {
            return await fn(handle);
          } catch (err) {
            if (!handle.errorSet) handle.setError(err);
            throw err;
          } finally {
            span.end();
          }
        },
      );
    },
    record(metric: MetricName, value: number, attributes: TelemetryAttributes) {
      // called from lease bookkeeping (a loss, a release): a failing SDK must not break it, and
      // goes to OpenTelemetry's own diagnostic logger, where SDK problems are reported
      try {
        const i = instrument(metric);
        if ('record' in i) i.record(value, attributes as Attributes);
        else i.add(value, attributes as Attributes);
      } catch (err) {
        api.diag.error(`dynastore: recording ${metric} failed`, err);
      }
    },
  };
}

class SpanHandle implements TelemetrySpan {
  errorSet = false;
  readonly #api: OtelApiModule;
  readonly #span: Span;
  constructor(api: OtelApiModule, span: Span) {
    this.#api = api;
    this.#span = span;
  }

  setAttributes(attributes: TelemetryAttributes): void {
    this.#span.setAttributes(attributes as Attributes);
  }

  setError(error: unknown, failed = true): void {
    this.errorSet = true;
    if (!this.#span.isRecording()) return;
    this.#span.setAttribute('error.type', errorType(error));
    if (error instanceof Error) this.#span.recordException(error);
    if (failed)
      this.#span.setStatus({
        code: this.#api.SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
  }
}

/**
 * The `error.type` of an error (OpenTelemetry semantic conventions): its class name, else `_OTHER`.
 *
 * @example
 * ```ts
 * errorType(new TypeError('x')); // 'TypeError'
 * ```
 */
export function errorType(error: unknown): string {
  return error instanceof Error && error.name ? error.name : '_OTHER';
}

function makeInstruments(meter: Meter): Map<MetricName, Instrument> {
  const out = new Map<MetricName, Instrument>();
  for (const [name, m] of Object.entries(METRICS) as [MetricName, (typeof METRICS)[MetricName]][]) {
    out.set(
      name,
      m.kind === 'histogram'
        ? meter.createHistogram(name, {
            unit: m.unit,
            description: m.description,
            advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
          })
        : meter.createCounter(name, { unit: m.unit, description: m.description }),
    );
  }
  return out;
}
