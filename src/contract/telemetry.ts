/**
 * The small interface lock, session, election and watch code report to. The OpenTelemetry
 * implementation lives in `src/telemetry/` (the only folder that touches `@opentelemetry/api`);
 * the core never imports OpenTelemetry. Without it (the package absent, or `telemetry: false`),
 * a store has no `Telemetry` and the callers skip even building attributes.
 */

/**
 * Attribute values (OpenTelemetry's primitive and string-array values).
 *
 * @example
 * ```ts
 * const attrs: TelemetryAttributes = { 'dynastore.lock.name': 'job', outcome: 'granted' };
 * ```
 */
export type TelemetryAttributes = Readonly<Record<string, string | number | boolean | readonly string[]>>;

/**
 * The spans dynastore emits.
 *
 * @example
 * ```ts
 * const name: SpanName = 'dynastore.lock.acquire';
 * ```
 */
export type SpanName =
  | 'dynastore.lock.acquire'
  | 'dynastore.lock.release'
  | 'dynastore.lease.renew'
  | 'dynastore.election.campaign'
  | 'dynastore.session.renew';

/**
 * The metrics dynastore records: histograms in seconds (`*.duration`, `dynastore.watch.lag`) and
 * counters (one per event).
 *
 * @example
 * ```ts
 * const name: MetricName = 'dynastore.lease.lost';
 * ```
 */
export type MetricName =
  | 'dynastore.lock.acquire.duration'
  | 'dynastore.lock.hold.duration'
  | 'dynastore.lease.lost'
  | 'dynastore.lock.takeover'
  | 'dynastore.dynamodb.throttled'
  | 'dynastore.watch.lag';

/**
 * A span in progress.
 *
 * @example
 * ```ts
 * span.setAttributes({ 'dynastore.lock.outcome': 'granted' });
 * ```
 */
export interface TelemetrySpan {
  /** Adds (or replaces) attributes of the span, e.g. its outcome once known. */
  setAttributes(attributes: TelemetryAttributes): void;
  /**
   * Records `error` on the span (`error.type`, the exception event); `failed: false` for an
   * expected end such as a timeout (the span's status stays unset). @default failed true
   */
  setError(error: unknown, failed?: boolean): void;
}

/**
 * Where dynastore reports spans and metrics.
 *
 * @example
 * ```ts
 * await telemetry.inSpan('dynastore.lock.release', { 'dynastore.lock.name': 'job' }, async () => lease.release());
 * ```
 */
export interface Telemetry {
  /**
   * Runs `fn` in a new span, active for the calls `fn` makes (the AWS SDK's spans are its
   * children); ends it when `fn` settles. An error `fn` throws is recorded unless `fn` called
   * `setError` itself.
   */
  inSpan<T>(
    name: SpanName,
    attributes: TelemetryAttributes,
    fn: (span: TelemetrySpan) => Promise<T>,
  ): Promise<T>;
  /** Records one value of a histogram, or adds it to a counter. */
  record(metric: MetricName, value: number, attributes: TelemetryAttributes): void;
  /** The `dynastore.lock.name` attribute of a lock key (the user's `lockName`, or the key). */
  lockName(key: string): string;
}

/**
 * Options of OpenTelemetry reporting (`new Dynastore({ telemetry })`).
 *
 * @example
 * ```ts
 * new Dynastore({ client, tableName, telemetry: { lockName: (key) => key.split('/')[0] ?? key } });
 * ```
 */
export interface TelemetryOptions {
  /**
   * The `dynastore.lock.name` attribute of a lock, semaphore or election key, for spans and
   * metrics: map keys to a few names to keep the metrics' cardinality low. @default the key itself
   */
  readonly lockName?: (key: string) => string;
  /**
   * The `@opentelemetry/api` module (`import * as api from '@opentelemetry/api'`), for an
   * application bundled so that dynastore cannot find the package itself.
   * @default the installed `@opentelemetry/api`, when there is one
   */
  readonly api?: object;
}
