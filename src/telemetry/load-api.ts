import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';

/** The `@opentelemetry/api` module. */
export type OtelApiModule = typeof OtelApi;

let loaded: OtelApiModule | null | undefined;

/**
 * The installed `@opentelemetry/api`, or `undefined` when it is not installed (an optional peer
 * dependency). Loaded once, synchronously, with `require` from both builds (ESM and CommonJS):
 * the package keeps its registered SDK in one global, whichever copy (its ESM or CommonJS build)
 * the application imported, so the copy found here sees what the application registered. Any
 * error other than the package being absent is thrown.
 *
 * @example
 * ```ts
 * const api = loadOtelApi(); // undefined without the package
 * ```
 */
export function loadOtelApi(): OtelApiModule | undefined {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('@opentelemetry/api') as OtelApiModule;
    } catch (err) {
      if (!isNotFound(err, '@opentelemetry/api')) throw err;
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

function isNotFound(err: unknown, name: string): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.includes(`'${name}'`);
}

/**
 * Whether `value` looks like the `@opentelemetry/api` module (for the `telemetry.api` option).
 *
 * @example
 * ```ts
 * isOtelApi(await import('@opentelemetry/api')); // true
 * ```
 */
export function isOtelApi(value: unknown): value is OtelApiModule {
  const v = value as Partial<OtelApiModule> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.trace?.getTracer === 'function' &&
    typeof v.metrics?.getMeterProvider === 'function'
  );
}
