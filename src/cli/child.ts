import { spawnGroup } from '../process/group.js';

/**
 * A command started by `lock` or `elect`.
 *
 * @example
 * ```ts
 * const child = startChild(['sleep', '1'], {}, { graceMs: 2_000 });
 * console.log(await child.exited); // 0
 * ```
 */
export interface Child {
  /** Resolves with the exit code: the command's, 128 + n when signal n killed it, 127 when it could not start. */
  readonly exited: Promise<number>;
  /** SIGTERM to the command's process group now, SIGKILL after the grace period if it still runs. Idempotent. */
  stop(): void;
}

/** Signals passed on to the command's group as they are. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGWINCH', 'SIGUSR1', 'SIGUSR2'] as const;

let running = 0;

/**
 * Whether a command of {@link startChild} is running (the runner then leaves SIGINT / SIGTERM to
 * it instead of exiting on the second one).
 *
 * @example
 * ```ts
 * if (!commandRunning()) process.exit(130);
 * ```
 */
export function commandRunning(): boolean {
  return running > 0;
}

/**
 * Starts `argv` with inherited stdio and `env` added to this process's environment, in its own
 * session and process group, so that it and everything it starts can be stopped together and can
 * never outlive this process: a watchdog kills the group when this process dies, even by SIGKILL,
 * and whatever the command leaves behind when it exits.
 *
 * The command has no controlling terminal, so the terminal's signals reach only this process:
 * SIGINT (Ctrl-C), SIGQUIT, SIGWINCH, SIGTERM, SIGHUP, SIGUSR1/2 sent here are passed on to the
 * group. Ctrl-Z (SIGTSTP) stops the group and then this process; SIGCONT (`fg`, `bg`) resumes it.
 *
 * @example
 * ```ts
 * const child = startChild(['./reindex.sh'], { DYNASTORE_FENCING_TOKEN: '42' }, { graceMs: 2_000 });
 * lease.signal.addEventListener('abort', () => child.stop());
 * process.exitCode = await child.exited;
 * ```
 */
export function startChild(
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  options: { readonly graceMs: number },
): Child {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('no command');
  const group = spawnGroup(file, args, { env: { ...process.env, ...env }, graceMs: options.graceMs });
  running++;
  let killTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  const forward = (sig: NodeJS.Signals) => group.signal(sig);
  const onStop = () => {
    group.signal('SIGSTOP');
    process.kill(process.pid, 'SIGSTOP');
  };
  // Resume the command only after the timers that came due while we were stopped ran: a lease
  // that ran out meanwhile is then known lost, and the command gets SIGTERM rather than a resume.
  const onCont = () => {
    setTimeout(() => {
      if (!stopping) group.signal('SIGCONT');
    }, 0);
  };
  for (const sig of FORWARDED) process.on(sig, forward);
  process.on('SIGTSTP', onStop);
  process.on('SIGCONT', onCont);

  const exited = group.exited.then((code) => {
    running--;
    clearTimeout(killTimer);
    for (const sig of FORWARDED) process.off(sig, forward);
    process.off('SIGTSTP', onStop);
    process.off('SIGCONT', onCont);
    return code;
  });

  return {
    exited,
    stop() {
      if (stopping) return;
      stopping = true;
      group.signal('SIGTERM');
      group.signal('SIGCONT'); // a stopped command must run to see SIGTERM
      killTimer = setTimeout(() => {
        group.signal('SIGKILL');
        group.release();
      }, options.graceMs);
    },
  };
}
