import type { CallEvent, CallListener } from '../contract/backend.js';
import { ValidationError } from '../contract/errors/store.js';
import type { Telemetry, TelemetryAttributes, TelemetryOptions } from '../contract/telemetry.js';
import { checkFunction, resolveOptions } from '../contract/validate.js';
import { isOtelApi, loadOtelApi } from './load-api.js';
import { otelTelemetry } from './otel.js';
import { throttleReasonsOfCall } from './throttle.js';

export { loadOtelApi } from './load-api.js';

/**
 * The store's {@link Telemetry}: on OpenTelemetry when `@opentelemetry/api` is installed (or
 * given as `options.api`), `undefined` when it is not or when `options` is `false` (then nothing
 * is measured and no attribute is built). Spans carry the OpenTelemetry database attributes of
 * the store (`db.system.name`, `aws.dynamodb.table_names`).
 *
 * @example
 * ```ts
 * const telemetry = createTelemetry({ lockName: (k) => k.split('/')[0] ?? k }, { kind: 'dynamodb', tableName: 't' });
 * ```
 */
export function createTelemetry(
  options: TelemetryOptions | false | undefined,
  store: { readonly kind: string; readonly tableName?: string },
): Telemetry | undefined {
  if (options === false) return undefined;
  const o = resolveOptions('Dynastore.telemetry', options, {
    lockName: undefined as ((key: string) => string) | undefined,
    api: undefined as object | undefined,
  });
  if (o.lockName !== undefined) checkFunction('Dynastore.telemetry.lockName', o.lockName);
  if (o.api !== undefined && !isOtelApi(o.api))
    throw new ValidationError('Dynastore.telemetry.api', 'is not the @opentelemetry/api module');
  const api = o.api ?? loadOtelApi();
  if (!api) return undefined;
  const lockName = o.lockName;
  return otelTelemetry(api, {
    lockName: lockName ? (key) => safeName(lockName, key) : (key) => key,
    spanAttributes: spanAttributesOf(store),
  });
}

function spanAttributesOf(store: {
  readonly kind: string;
  readonly tableName?: string;
}): TelemetryAttributes {
  if (store.kind !== 'dynamodb') return { 'dynastore.backend': store.kind };
  return {
    'db.system.name': 'aws.dynamodb',
    ...(store.tableName !== undefined && { 'aws.dynamodb.table_names': [store.tableName] }),
  };
}

let warned = false;

/**
 * The user's `lockName`; a throw or a non-string answer falls back to the key (telemetry never
 * breaks a lock), with one process warning saying so.
 */
function safeName(lockName: (key: string) => string, key: string): string {
  let problem: string;
  try {
    const name = lockName(key);
    if (typeof name === 'string') return name;
    problem = `returned ${typeof name}`;
  } catch (err) {
    problem = `threw ${String(err)}`;
  }
  if (!warned) {
    warned = true;
    process.emitWarning(`dynastore telemetry.lockName ${problem} for key "${key}": the key is used instead`);
  }
  return key;
}

/**
 * An `onCall` listener that counts throttled DynamoDB requests in `dynastore.dynamodb.throttled`
 * (attribute `reason`, see `throttleReasonsOfCall`), then passes the event on to `next`.
 *
 * @example
 * ```ts
 * const onCall = countThrottles(telemetry, options.onCall);
 * ```
 */
export function countThrottles(telemetry: Telemetry, next: CallListener | undefined): CallListener {
  return (event: CallEvent) => {
    const reasons = throttleReasonsOfCall(event);
    if (reasons)
      for (const reason of reasons)
        telemetry.record('dynastore.dynamodb.throttled', 1, {
          reason,
          'aws.dynamodb.table_names': [event.table],
          'db.operation.name': event.operation,
        });
    next?.(event);
  };
}
