import { type ChildProcess, spawn } from 'node:child_process';
import { watchdogLoop } from '../process/watchdog.js';

const PID_PREFIX = 'dynastore-guarded-pid=';

/**
 * Runs the command under `sh` with a watchdog, so the command can never outlive this process:
 * the watchdog blocks reading the shell's stdin (a pipe whose only writer is this process) and,
 * on end-of-file, sends SIGTERM to the command, then SIGKILL 5 s later if it is still there.
 * End-of-file comes when we close the pipe (`stop()`) or when this process dies in any way,
 * SIGKILL included. The shell exits with the command's status once the command has exited.
 * The command's own stdin is /dev/null. Its pid is printed on stdout (`PID_PREFIX<pid>`).
 */
const WATCHDOG_SCRIPT = `
exec 3<&0 </dev/null
"$@" 3<&- &
pid=$!
echo "${PID_PREFIX}$pid"
{
${watchdogLoop({ target: '"$pid"', alive: 'kill -0 "$pid"', graceTenths: 50, ignoreSignals: false })}
} <&3 >/dev/null 2>&1 &
dog=$!
exec 3<&-
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT HUP
code=0
while :; do
  wait "$pid"
  code=$?
  kill -0 "$pid" 2>/dev/null || break
done
kill "$dog" 2>/dev/null
wait "$dog" 2>/dev/null
exit "$code"
`;

const PID_LINE = new RegExp(`(?:^|\\n)${PID_PREFIX}(\\d+)\\n`);
const STDERR_KEEP = 16 * 1024;
const STDOUT_KEEP = 4 * 1024;

/**
 * How the guarded command ended.
 *
 * @example
 * ```ts
 * const { code, signal }: ExitInfo = await guarded.exited;
 * ```
 */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A command running under the watchdog.
 *
 * @example
 * ```ts
 * const guarded: GuardedProcess = spawnGuarded('sleep', ['60']);
 * await guarded.stop();
 * ```
 */
export interface GuardedProcess {
  /** The command's own pid (not the shell's); resolves as soon as the shell printed it. */
  readonly pid: Promise<number>;
  /** The shell's pid. */
  readonly shellPid: number;
  /** Resolves once the shell exited (which is after the command exited) and its output is read. */
  readonly exited: Promise<ExitInfo>;
  /** `undefined` while running. */
  exitInfo(): ExitInfo | undefined;
  /** What the command printed: the start of stderr, then the end of stdout. */
  output(): string;
  /** Closes the watchdog pipe (SIGTERM, then SIGKILL after 5 s) and waits for the exit. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** Synchronous best effort for `process.on('exit')`: SIGTERM to the command. */
  killNow(): void;
}

/**
 * Starts `command args...` under the watchdog. Stdio handles are `unref()`ed: a forgotten process
 * does not keep Node running, and dies with it.
 *
 * @example
 * ```ts
 * const p = spawnGuarded('/usr/bin/java', ['-version']);
 * console.log(await p.exited, p.output());
 * ```
 */
export function spawnGuarded(
  command: string,
  args: readonly string[],
  options: { cwd?: string } = {},
): GuardedProcess {
  const child = spawn('sh', ['-c', WATCHDOG_SCRIPT, 'dynastore-watchdog', command, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.cwd !== undefined && { cwd: options.cwd }),
  });
  let stderr = '';
  let stdout = '';
  let pidScan = '';
  let commandPid: number | undefined;
  let info: ExitInfo | undefined;
  let resolvePid: (pid: number) => void = () => {};
  let rejectPid: (err: Error) => void = () => {};
  const pid = new Promise<number>((resolve, reject) => {
    resolvePid = resolve;
    rejectPid = reject;
  });
  // Every reader of `pid` awaits it and sees the rejection (the shell died before printing it);
  // this handler only keeps a rejection nobody asked about from being an unhandled one.
  pid.catch(() => {});

  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < STDERR_KEEP) stderr += chunk.slice(0, STDERR_KEEP - stderr.length);
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout = (stdout + chunk).slice(-STDOUT_KEEP);
    if (commandPid !== undefined) return;
    pidScan = (pidScan + chunk).slice(-STDOUT_KEEP);
    const match = PID_LINE.exec(pidScan);
    if (match) {
      commandPid = Number(match[1]);
      resolvePid(commandPid);
      stdout = stdout.replace(match[0], '');
    }
  });
  // The pipe to the shell only ever closes; EPIPE after the shell is gone is expected.
  child.stdin?.on('error', () => {});

  const exited = new Promise<ExitInfo>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      if (info) return;
      info = { code, signal };
      // Normally the watchdog is gone by now; if the shell was killed, this sets it off.
      child.stdin?.destroy();
      rejectPid(new Error('exited before reporting a pid'));
      resolve(info);
    };
    // 'close' comes once the output is drained too; 'exit' (plus a moment) in case some other
    // process inherited the pipes and keeps them open.
    child.once('close', done);
    child.once('exit', (code, sig) => {
      setTimeout(() => done(code, sig), 500);
    });
    child.once('error', (err) => {
      stderr += `${err.message}\n`;
      done(null, null);
    });
  });
  unrefAll(child);

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 10_000): Promise<void> => {
    stopping ??= (async () => {
      if (info) return;
      child.ref(); // whoever awaits stop() sees it finish, even with nothing else keeping Node alive
      child.stdin?.destroy();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(resolve, graceMs, 'late');
      });
      const first = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (first === 'late') {
        signal(commandPid, 'SIGKILL');
        signal(child.pid, 'SIGKILL');
        await exited;
      }
    })();
    return stopping;
  };

  return {
    pid,
    shellPid: child.pid ?? -1,
    exited,
    exitInfo: () => info,
    output: () => [stderr.trim(), stdout.trim()].filter(Boolean).join('\n'),
    stop,
    killNow: () => {
      if (info) return;
      signal(commandPid, 'SIGTERM');
    },
  };
}

function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined || pid <= 0) return;
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function unrefAll(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as { unref?: () => void } | null)?.unref?.();
  }
}
