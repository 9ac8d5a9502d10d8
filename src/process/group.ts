import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { watchdogLoop } from './watchdog.js';

/**
 * Runs the command as the leader of a new session (so of a new process group, whose id is its
 * pid), with a watchdog in the same group that reads fd 3: when the Node process closes that pipe
 * or dies, however it dies, the watchdog sends SIGTERM to the whole group, waits for the command
 * (at most the grace period), then SIGKILLs the group, itself included. Being a member, the
 * watchdog also keeps the group id from being reused while anything of the command is left.
 * `$1` is the grace period in tenths of a second, the rest is the command.
 */
const GROUP_SCRIPT = `
grace=$1; shift
if ! command -v "$1" >/dev/null 2>&1; then
  printf 'dynastore: cannot run "%s": command not found\\n' "$1" >&2
  exit 127
fi
{
${watchdogLoop({ target: '0', alive: 'kill -0 $$', graceTenths: '"$grace"' })}
} <&3 >/dev/null 2>&1 &
exec "$@" 3<&-
`;

/**
 * A command running in its own process group under a watchdog.
 *
 * @example
 * ```ts
 * const g: GroupProcess = spawnGroup('sh', ['-c', 'work; sleep 100'], { graceMs: 2_000 });
 * g.signal('SIGTERM');
 * ```
 */
export interface GroupProcess {
  /** The command's pid, which is also its process group id. */
  readonly pid: number;
  /** The command's exit: its code, or 128 + n when signal n ended it; 127 when it was not found. */
  readonly exited: Promise<number>;
  /** Sends `sig` to the whole group (no-op once it is gone). */
  signal(sig: NodeJS.Signals): void;
  /**
   * Closes the watchdog's pipe: whatever is left of the group gets SIGTERM, then SIGKILL.
   * Happens by itself when the command exits. Idempotent.
   */
  release(): void;
}

/**
 * Starts `file args...` in a new session and process group, stdio inherited, with a watchdog
 * that kills the whole group when this process dies (see `GROUP_SCRIPT`). The command has no
 * controlling terminal, so terminal signals (Ctrl-C, Ctrl-\, window size changes) reach only
 * this process: pass them on with {@link GroupProcess.signal}.
 *
 * @example
 * ```ts
 * const g = spawnGroup('./reindex.sh', [], { env: process.env, graceMs: 2_000 });
 * process.exitCode = await g.exited;
 * ```
 */
export function spawnGroup(
  file: string,
  args: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv; readonly graceMs: number },
): GroupProcess {
  const graceTenths = Math.max(1, Math.ceil(options.graceMs / 100));
  const proc: ChildProcess = spawn(
    'sh',
    ['-c', GROUP_SCRIPT, 'dynastore-guard', String(graceTenths), file, ...args],
    {
      detached: true,
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
      ...(options.env && { env: options.env }),
    },
  );
  const guard = proc.stdio[3] as (NodeJS.ReadableStream & { destroy(): void }) | null;
  guard?.on('error', () => {});
  const pid = proc.pid ?? -1;
  const release = () => guard?.destroy();
  const exited = new Promise<number>((resolve) => {
    proc.once('error', (err: NodeJS.ErrnoException) => {
      release();
      process.stderr.write(`dynastore: cannot start the command: ${err.message}\n`);
      resolve(126);
    });
    proc.once('exit', (code, sig) => {
      release();
      resolve(code ?? 128 + (sig ? (constants.signals[sig] ?? 0) : 0));
    });
  });
  return {
    pid,
    exited,
    signal(sig) {
      if (pid <= 0) return;
      try {
        process.kill(-pid, sig);
      } catch {
        // the group is gone
      }
    },
    release,
  };
}
