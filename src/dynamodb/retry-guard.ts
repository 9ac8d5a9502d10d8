import { BackendError } from '../errors/store.js';

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
]);

/** Thrown inside the SDK's retry loop to stop a resend; not retryable by the SDK's rules. */
class ResendStopped extends Error {
  constructor(readonly ambiguous: unknown) {
    super('dynastore stopped the resend of a write whose earlier attempt may have applied');
    this.name = 'DynastoreResendStopped';
  }
}

/**
 * Lets the SDK resend a write only when its earlier attempt certainly did not apply (throttling).
 * After a timeout, a reset or a 5xx the write may have applied; resending it could apply it twice
 * (after someone else's write in between). Instead the call fails with an ambiguous
 * {@link BackendError} and the caller settles the outcome by reading the row.
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
        if (!REFUSED_BEFORE_APPLYING.has((err as { name?: string })?.name ?? '')) ambiguous = err;
        throw err;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'dynastoreResendGuard' },
  );
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
