import { connectFailureReason } from '../dynamodb/errors.js';
import { BackendError, DynastoreError, ErrorCode } from '../index.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { cliHint } from './hints.js';

/**
 * A failure the CLI reports with a given exit code (a missing key, a usage mistake, ...).
 *
 * @example
 * ```ts
 * throw new CliError(ExitCode.NotFound, 'key not found: config/a');
 * ```
 */
export class CliError extends DynastoreError {
  readonly exitCode: ExitCodeValue;
  constructor(exitCode: ExitCodeValue, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.Validation, message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/**
 * The exit code for an error a command threw.
 *
 * @example
 * ```ts
 * exitCodeFor(new ValidationError('--lease', 'bad')); // 2
 * ```
 */
export function exitCodeFor(err: unknown): ExitCodeValue {
  if (err instanceof CliError) return err.exitCode;
  if (!(err instanceof DynastoreError)) return ExitCode.Error;
  switch (err.code) {
    case ErrorCode.Validation:
      return ExitCode.Usage;
    case ErrorCode.KeyNotFound:
      return ExitCode.NotFound;
    case ErrorCode.KeyExists:
    case ErrorCode.KeyModified:
      return ExitCode.Conflict;
    case ErrorCode.LockTimeout:
      return ExitCode.NotAcquired;
    case ErrorCode.LeaseLost:
      return ExitCode.Lost;
    default:
      return ExitCode.Error;
  }
}

/**
 * What the CLI knows about where it was connecting, to explain failures.
 *
 * @example
 * ```ts
 * describeError(err, { tableName: 'dynastore', endpoint: 'http://127.0.0.1:8000' });
 * ```
 */
export interface FailureContext {
  readonly tableName?: string;
  readonly endpoint?: string;
}

/**
 * The one-line message for an error, with a hint for the usual setup mistakes (no table, no
 * credentials, no region, nothing listening at the endpoint: refused, unknown host, unreachable).
 *
 * @example
 * ```ts
 * describeError(err, { tableName: 'dynastore', endpoint: 'http://127.0.0.1:8000' });
 * ```
 */
export function describeError(err: unknown, ctx: FailureContext = {}): string {
  const cause = err instanceof BackendError ? err.cause : err;
  const name = (cause as { name?: string } | undefined)?.name;
  const message = err instanceof Error ? err.message : String(err);
  const where = ctx.endpoint ?? 'AWS';
  const hint = cliHint(err, ctx);
  if (hint !== undefined) return hint;
  if (name === 'ResourceNotFoundException' && ctx.tableName) {
    return `table "${ctx.tableName}" not found at ${where}: create it with \`dynastore init\`, or run \`dynastore dev\` for a local one`;
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return 'no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or pass --endpoint of a DynamoDB Local';
  }
  if (/Region is missing/i.test(message)) return 'no AWS region: pass --region or set AWS_REGION';
  const unreachable =
    connectFailureReason(err) ?? (/ECONNREFUSED/.test(message) ? 'connection refused' : undefined);
  if (unreachable !== undefined) {
    const fix = ctx.endpoint
      ? 'is `dynastore dev` running, and --endpoint right?'
      : 'check the network and --region';
    return `nothing answers at ${where} (${unreachable}): the request never reached DynamoDB; ${fix}`;
  }
  return message;
}
