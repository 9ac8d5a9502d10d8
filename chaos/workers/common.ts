import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { systemClock } from '../../src/contract/clock/system.js';
import { DynastoreError } from '../../src/contract/errors/base.js';
import { Dynastore, type DynastoreOptions } from '../../src/facade/dynastore.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { monoNow, skewedClock } from '../util/clock.js';
import type { WorkerConfig } from './config.js';

/**
 * One line a worker prints: its id, the event, the real (unskewed) time in epoch ms (`t`) and,
 * from {@link emitter}, the machine's monotonic time (`m`, see {@link monoNow}).
 */
export type WorkerLine = { readonly w: string; readonly t: number; readonly ev: string } & Record<
  string,
  unknown
>;

/** Where a workload's events go: stdout in a worker process, an array in tests. */
export type Sink = (line: WorkerLine) => void;

/** Prints each event as a JSON line (synchronous on Linux pipes: a line printed before a SIGKILL reaches the runner). */
export const stdoutSink: Sink = (line) => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

/**
 * An event emitter for one worker: stamps its id, the real (unskewed) time in epoch ms (`t`) and
 * the machine's monotonic time (`m`; a field `m` given by the caller wins).
 *
 * @example
 * ```ts
 * const emit = emitter(config, stdoutSink);
 * emit('granted', { token: lease.token.toString() });
 * ```
 */
export function emitter(
  config: WorkerConfig,
  sink: Sink,
): (ev: string, fields?: Record<string, unknown>) => void {
  return (ev, fields = {}) =>
    sink({ w: config.id, t: performance.timeOrigin + performance.now(), m: monoNow(), ev, ...fields });
}

/**
 * A store through the fault proxy, with this worker's clock skew and a client that gives up on
 * a request after `requestTimeoutMs` (the SDK then retries, up to `maxAttempts` attempts in all).
 *
 * @example
 * ```ts
 * const { store, client } = workerStore(config);
 * ```
 */
export function workerStore(
  config: WorkerConfig,
  stream?: DynastoreOptions['stream'],
): { store: Dynastore; client: DynamoDBClient } {
  const client = localDynamoClient(config.endpoint, {
    maxAttempts: config.maxAttempts,
    requestHandler: { requestTimeout: config.requestTimeoutMs, throwOnRequestTimeout: true },
  });
  const clock = config.skewMs === 0 ? systemClock : skewedClock(systemClock, config.skewMs);
  return {
    store: new Dynastore({ client, tableName: config.tableName, clock, ...(stream && { stream }) }),
    client,
  };
}

/** A short description of an error for event logs; errors that are not `DynastoreError`s start with `untyped `. */
export function errorText(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string };
  const text = `${e?.name ?? 'Error'}${e?.code ? `(${e.code})` : ''}: ${(e?.message ?? String(err)).slice(0, 200)}`;
  return err instanceof DynastoreError ? text : `untyped ${text}`;
}

/** A sleep on the real clock. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
