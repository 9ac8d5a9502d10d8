/**
 * The exit codes of the `dynastore` CLI. `lock` and `elect` exit with the code of the command they
 * ran (128 + the signal number when it was killed by a signal), so those codes only come from
 * dynastore itself before the command started or when it was stopped by dynastore.
 *
 * @example
 * ```ts
 * if (result.status === ExitCode.NotFound) console.log('no such key');
 * ```
 */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** Any other failure: network, credentials, missing table, DynamoDB errors. */
  Error: 1,
  /** Bad usage: unknown command or option, missing argument, invalid value. */
  Usage: 2,
  /** `get`: the key is absent (or expired); `rm --if-version`: the key is gone; `leader`: nobody leads; `holder`: the lock is free. */
  NotFound: 3,
  /** A conditional write lost: `put --if-absent` found the key, `--if-version` found another version. */
  Conflict: 4,
  /** `lock` / `elect`: not acquired within `--wait` (or at once with `--no-wait`). */
  NotAcquired: 5,
  /** `lock` / `elect`: the lease or leadership was lost while the command ran; it was stopped. */
  Lost: 6,
  /**
   * Interrupted by SIGINT (128 + 2; SIGTERM gives 143): `lock` / `elect` while waiting, `watch`,
   * `leader --follow`. (`dev` exits 0 when stopped by either.)
   */
  Interrupted: 130,
} as const;

/**
 * One of the values of {@link ExitCode}.
 *
 * @example
 * ```ts
 * const code: ExitCodeValue = ExitCode.Conflict;
 * ```
 */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
