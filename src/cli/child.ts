import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/**
 * A command started by `lock` or `elect`.
 *
 * @example
 * ```ts
 * const child = startChild(['sleep', '1'], {});
 * console.log(await child.exited); // 0
 * ```
 */
export interface Child {
  /** Resolves with the exit code: the command's, 128 + n when signal n killed it, 127 when it could not start. */
  readonly exited: Promise<number>;
  /** SIGTERM now, SIGKILL after `graceMs` if it is still running. Idempotent. */
  stop(graceMs: number): void;
}

/**
 * Starts `argv` with inherited stdio and `env` added to this process's environment. While it
 * runs, SIGTERM and SIGHUP sent to this process are passed on to it; SIGINT too, unless the
 * command exits within half a second of it (a terminal's Ctrl-C reaches the whole process group,
 * so the command normally has it already).
 *
 * @example
 * ```ts
 * const child = startChild(['./reindex.sh'], { DYNASTORE_FENCING_TOKEN: '42' });
 * lease.signal.addEventListener('abort', () => child.stop(2_000));
 * process.exitCode = await child.exited;
 * ```
 */
export function startChild(argv: readonly string[], env: Readonly<Record<string, string>>): Child {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('no command');
  const proc = spawn(file, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  let killTimer: NodeJS.Timeout | undefined;
  let intTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  const send = (sig: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(sig);
  };
  const forward = (sig: NodeJS.Signals) => send(sig);
  const onInt = () => {
    intTimer ??= setTimeout(() => send('SIGINT'), 500);
  };
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  process.on('SIGINT', onInt);

  const exited = new Promise<number>((resolve) => {
    const done = (code: number) => {
      clearTimeout(killTimer);
      clearTimeout(intTimer);
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
      process.off('SIGINT', onInt);
      resolve(code);
    };
    proc.once('error', (err: NodeJS.ErrnoException) => {
      process.stderr.write(
        `dynastore: cannot run "${file}": ${err.code === 'ENOENT' ? 'command not found' : err.message}\n`,
      );
      done(err.code === 'ENOENT' ? 127 : 126);
    });
    proc.once('exit', (code, signal) => {
      done(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });

  return {
    exited,
    stop(graceMs) {
      if (stopping) return;
      stopping = true;
      send('SIGTERM');
      killTimer = setTimeout(() => send('SIGKILL'), graceMs);
    },
  };
}
