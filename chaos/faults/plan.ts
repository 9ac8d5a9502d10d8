/** Every fault the proxy can inject on one request. */
export const ProxyFault = {
  /** Extra delay before forwarding (combines with the others). */
  latency: 'latency',
  /** The connection is reset before the request reaches DynamoDB: certainly not applied. */
  reset: 'reset',
  /** A 500 InternalServerError answer; not forwarded. */
  http500: 'http500',
  /** A 503 ServiceUnavailable answer; not forwarded. */
  http503: 'http503',
  /** A 400 ProvisionedThroughputExceededException or ThrottlingException; not forwarded. */
  throttle: 'throttle',
  /** Held past the client's timeout, then dropped; not forwarded. */
  timeoutBeforeApply: 'timeoutBeforeApply',
  /** Forwarded and applied, the answer held past the client's timeout, then dropped (ambiguous). */
  timeoutAfterApply: 'timeoutAfterApply',
  /** Forwarded and applied, then the connection is dropped instead of answering (ambiguous). */
  dropAfterApply: 'dropAfterApply',
  /** GetRecords / GetShardIterator answered with ExpiredIteratorException. */
  expiredIterator: 'expiredIterator',
  /** A DynamoDB Streams call answered with LimitExceededException. */
  streamThrottle: 'streamThrottle',
} as const;

export type ProxyFaultName = (typeof ProxyFault)[keyof typeof ProxyFault];

/** What kind of call a request is, from its `X-Amz-Target`. */
export type CallClass = 'read' | 'write' | 'stream' | 'other';

/** Chances (0..1) of each fault for one class of call; at most one non-latency fault per request. */
export type ClassPlan = Partial<Record<Exclude<ProxyFaultName, 'latency'>, number>> & {
  /** Chance of extra latency, and its range. */
  readonly latency?: { readonly p: number; readonly minMs: number; readonly maxMs: number };
};

/** The proxy's fault plan; classes left out get no faults ("other" covers table admin calls). */
export interface FaultPlan {
  readonly read?: ClassPlan;
  readonly write?: ClassPlan;
  readonly stream?: ClassPlan;
  /** How long the timeout faults hold a request (longer than the clients' request timeout). */
  readonly stallMs: number;
}

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);

/**
 * The class of a DynamoDB (or DynamoDB Streams) operation name.
 *
 * @example
 * ```ts
 * classify('DynamoDBStreams_20120810.GetRecords'); // 'stream'
 * ```
 */
export function classify(target: string | undefined): { operation: string; cls: CallClass } {
  const [service = '', operation = ''] = (target ?? '').split('.');
  if (service.startsWith('DynamoDBStreams')) return { operation, cls: 'stream' };
  if (READS.has(operation)) return { operation, cls: 'read' };
  if (WRITES.has(operation)) return { operation, cls: 'write' };
  return { operation, cls: 'other' };
}

/**
 * Draws the fault for one request: at most one of the plan's faults (by its chance), or none.
 *
 * @example
 * ```ts
 * const fault = drawFault(plan.write, 'UpdateItem', rand);
 * ```
 */
export function drawFault(
  plan: ClassPlan | undefined,
  operation: string,
  rand: () => number,
): ProxyFaultName | undefined {
  if (!plan) return undefined;
  let roll = rand();
  for (const [name, p] of Object.entries(plan)) {
    if (name === 'latency' || typeof p !== 'number') continue;
    if (name === 'expiredIterator' && operation !== 'GetRecords') continue;
    if (roll < p) return name as ProxyFaultName;
    roll -= p;
  }
  return undefined;
}

/** The plan of a chaos run at a given intensity (0: none, 1: the default mix). */
export function defaultPlan(intensity: number, stallMs: number): FaultPlan {
  const k = Math.max(0, intensity);
  const latency = { p: 0.1 * k, minMs: 20, maxMs: 250 };
  return {
    stallMs,
    read: {
      latency,
      reset: 0.01 * k,
      http500: 0.01 * k,
      http503: 0.01 * k,
      throttle: 0.02 * k,
      timeoutBeforeApply: 0.005 * k,
    },
    write: {
      latency,
      reset: 0.01 * k,
      http500: 0.01 * k,
      http503: 0.01 * k,
      throttle: 0.02 * k,
      timeoutBeforeApply: 0.005 * k,
      timeoutAfterApply: 0.005 * k,
      dropAfterApply: 0.02 * k,
    },
    stream: {
      latency,
      expiredIterator: 0.05 * k,
      streamThrottle: 0.03 * k,
      http500: 0.01 * k,
      reset: 0.01 * k,
    },
  };
}
