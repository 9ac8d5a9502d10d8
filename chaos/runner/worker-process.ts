import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { WorkerLine } from '../workers/common.js';
import type { WorkerConfig } from '../workers/config.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), '..', 'worker.ts');
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const STDERR_KEEP = 8 * 1024;

/**
 * Runs the worker under `sh` with a watchdog that keeps the runner's stdin pipe open (fd 3) and,
 * when it reaches end-of-file (the runner closed it, or died in any way, SIGKILL included), sends
 * the worker SIGCONT and SIGKILL: a worker can never outlive the runner, even while stopped. The
 * worker's own stdin is /dev/null; its stdout and stderr are the runner's pipes. The shell exits
 * with the worker's status.
 */
const WATCHDOG = `
exec 3<&0 </dev/null
"$@" 3<&- &
pid=$!
{
  while read -r _line; do :; done
  kill -CONT "$pid" 2>/dev/null
  kill -KILL "$pid" 2>/dev/null
} <&3 >/dev/null 2>&1 &
dog=$!
exec 3<&-
while :; do
  wait "$pid"
  code=$?
  kill -0 "$pid" 2>/dev/null || break
done
kill "$dog" 2>/dev/null
exit "$code"
`;

/**
 * One worker child process (`node --import tsx chaos/worker.ts <config>`) under a watchdog shell.
 * Its first line reports its pid; SIGSTOP, SIGCONT and SIGKILL go to that pid.
 *
 * @example
 * ```ts
 * const w = WorkerProcess.spawn(config, (line) => events.push(line));
 * w.pause(); w.resume(); await w.stop();
 * ```
 */
export class WorkerProcess {
  readonly config: WorkerConfig;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcess;
  #pid: number | undefined;
  #stderr = '';
  #paused = false;
  #done = false;
  #killed = false;
  #stopping = false;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #exitedAt: number | undefined;

  private constructor(config: WorkerConfig, onLine: (line: WorkerLine) => void) {
    this.config = config;
    const args = ['--import', 'tsx', WORKER, JSON.stringify(config)];
    this.#child = spawn('sh', ['-c', WATCHDOG, 'chaos-worker', process.execPath, ...args], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child.stdin?.on('error', () => {});
    createInterface({ input: this.#child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      if (!text.startsWith('{')) return;
      let line: WorkerLine;
      try {
        line = JSON.parse(text) as WorkerLine;
      } catch {
        return; // a torn line from a killed worker
      }
      if (line.ev === 'start' && typeof line.pid === 'number') this.#pid = line.pid;
      else onLine(line);
    });
    this.#child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (this.#stderr.length < STDERR_KEEP)
        this.#stderr += chunk.slice(0, STDERR_KEEP - this.#stderr.length);
    });
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.#done) return;
        this.#done = true;
        this.#exit = { code, signal };
        this.#exitedAt = Date.now();
        this.#child.stdin?.destroy();
        resolve({ code, signal });
      };
      this.#child.once('exit', done);
      this.#child.once('error', () => done(null, null));
    });
  }

  static spawn(config: WorkerConfig, onLine: (line: WorkerLine) => void): WorkerProcess {
    return new WorkerProcess(config, onLine);
  }

  get id(): string {
    return this.config.id;
  }

  get running(): boolean {
    return !this.#done;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /**
   * Whether it ended in a way nobody asked for: a non-zero status, or an exit before its `stopAt`
   * (e.g. an event loop left with nothing but unref()ed timers), that the runner did not cause.
   */
  get failed(): boolean {
    const e = this.#exit;
    if (e === undefined || this.#killed || this.#stopping) return false;
    return e.code !== 0 || (this.#exitedAt ?? 0) < this.config.stopAt - 1_000;
  }

  /** How it ended (undefined while running). */
  get exitInfo(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.#exit;
  }

  /** What the worker printed on stderr (the start of it). */
  get stderr(): string {
    return this.#stderr;
  }

  /** SIGSTOP (false if the worker has not reported its pid yet, or is gone). */
  pause(): boolean {
    if (this.#done || this.#paused) return false;
    this.#paused = this.#signal('SIGSTOP');
    return this.#paused;
  }

  /** SIGCONT. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#signal('SIGCONT');
  }

  /** SIGKILL: no cleanup, no release; resolves once it is gone. */
  async kill(): Promise<void> {
    this.#killed = true;
    if (!this.#signal('SIGKILL')) this.#child.stdin?.destroy();
    this.#paused = false;
    await this.exited;
  }

  /** Resumes it if paused, asks it to exit (SIGTERM), and has the watchdog SIGKILL it after `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.#done) return;
    this.#stopping = true;
    this.resume();
    if (!this.#signal('SIGTERM')) this.#child.stdin?.destroy();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(resolve, graceMs, 'late');
    });
    if ((await Promise.race([this.exited, late])) === 'late') this.#child.stdin?.destroy();
    clearTimeout(timer);
    await this.exited;
  }

  /** Synchronous last resort (process 'exit' hook): SIGCONT + SIGKILL, and the watchdog's pipe closed. */
  killNow(): void {
    if (this.#done) return;
    this.#killed = true;
    this.#signal('SIGCONT');
    this.#signal('SIGKILL');
    this.#child.stdin?.destroy();
  }

  #signal(signal: NodeJS.Signals): boolean {
    const pid = this.#pid;
    if (pid === undefined || this.#done) return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}
