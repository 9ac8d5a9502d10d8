import { BackendError } from '../contract/errors/store.js';
import { isConnectFailure } from './errors.js';

type Handler = (args: unknown) => Promise<unknown>;

/** The part of the SDK's middleware stack the guard uses. */
export interface MiddlewareAdder {
  add(
    middleware: (next: Handler) => Handler,
    options: { step: 'finalizeRequest'; priority: 'low'; name: string },
  ): void;
}

/** Errors with which DynamoDB refuses a request before applying it: resending is safe. */
const REFUSED_BEFORE_APPLYING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  // MRSC global tables: the item is being written in another Region; the request was rejected
  'ReplicatedWriteConflictException',
]);

/** Thrown inside the SDK's retry loop to stop a resend; not retryable by the SDK's rules. */
class ResendStopped extends Error {
  constructor(readonly ambiguous: unknown) {
    super('dynastore stopped the resend of a write whose earlier attempt may have applied');
    this.name = 'DynastoreResendStopped';
  }
}

/**
 * Lets the SDK resend a write only when its earlier attempt certainly did not apply: throttling,
 * or a connect failure (refused, host not found, ...: the request never left this process; see
 * `isConnectFailure`). After a timeout, a reset or a 5xx the write may have applied; resending it
 * could apply it twice (after someone else's write in between). Instead the call fails with an
 * ambiguous {@link BackendError} and the caller settles the outcome by reading the row.
 *
 * The middleware sits inside the SDK's retry loop, so it sees every attempt of this one command.
 *
 * @example
 * ```ts
 * const command = new UpdateItemCommand(input);
 * guardResends(command.middlewareStack);
 * ```
 */
export function guardResends(stack: MiddlewareAdder): void {
  let ambiguous: unknown;
  let attempted = false;
  stack.add(
    (next) => async (args) => {
      if (attempted && ambiguous !== undefined) throw new ResendStopped(ambiguous);
      attempted = true;
      try {
        return await next(args);
      } catch (err) {
        if (!neverApplied(err)) ambiguous = err;
        throw err;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'dynastoreResendGuard' },
  );
}

function neverApplied(err: unknown): boolean {
  return REFUSED_BEFORE_APPLYING.has((err as { name?: string })?.name ?? '') || isConnectFailure(err);
}

/**
 * Records the URL (scheme, host, port) each attempt of one command is sent to, so that an error
 * can name the endpoint that did not answer. The middleware sits where the request is final.
 *
 * @example
 * ```ts
 * const target = traceEndpoint(command.middlewareStack);
 * try { await client.send(command) } catch (err) { throw wrapAwsError('GetItem', err, target.url) }
 * ```
 */
export function traceEndpoint(stack: MiddlewareAdder): { readonly url: string | undefined } {
  const target: { url: string | undefined } = { url: undefined };
  stack.add(
    (next) => async (args) => {
      const r = (args as { request?: { protocol?: unknown; hostname?: unknown; port?: unknown } }).request;
      if (r && typeof r.hostname === 'string') {
        const protocol = typeof r.protocol === 'string' ? r.protocol.replace(/:?$/, ':') : 'https:';
        const port = typeof r.port === 'number' ? `:${r.port}` : '';
        target.url = `${protocol}//${r.hostname}${port}`;
      }
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'dynastoreTraceEndpoint' },
  );
  return target;
}

/**
 * Turns the guard's stop into an ambiguous, retryable {@link BackendError} carrying the error of
 * the attempt that may have applied; other errors pass through unchanged.
 *
 * @example
 * ```ts
 * catch (err) { throw ambiguousOr(err, 'UpdateItem') }
 * ```
 */
export function ambiguousOr(err: unknown, operation: string): unknown {
  if (!(err instanceof ResendStopped)) return err;
  const first = err.ambiguous as { name?: string; message?: string } | undefined;
  return new BackendError(
    operation,
    `outcome unknown: ${first?.name ?? 'an error'} (${first?.message ?? ''}) after the request was sent; it may have applied, so it was not resent`,
    true,
    { cause: err.ambiguous, ambiguous: true },
  );
}
