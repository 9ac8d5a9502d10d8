import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A script (under tsx) still running, with its output so far. */
export interface RunningScript {
  readonly done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  stdout(): string;
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the first stdout line (after `from` characters) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number, from?: number): Promise<string>;
}

/** Environment pointing at `endpoint` / `table`, free of the caller's AWS and dynastore settings. */
export { cliEnv as scriptEnv } from '../cli/run-cli.js';

/** Starts `node --import tsx <path> <args>` from the repository root. */
export function startScript(path: string, args: readonly string[], env: NodeJS.ProcessEnv): RunningScript {
  const proc = spawn(process.execPath, ['--import', 'tsx', path, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  proc.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    for (const w of [...waiters]) w();
  });
  proc.stderr.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    proc.once('close', (code) => {
      for (const w of [...waiters]) w();
      resolve({ code, stdout: out, stderr: err });
    });
  });
  return {
    done,
    stdout: () => out,
    kill: (signal) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
    waitFor: (pattern, timeoutMs = 20_000, from = 0) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const line = out
            .slice(from)
            .split('\n')
            .find((l) => pattern.test(l));
          if (line !== undefined) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(line);
          } else if (proc.exitCode !== null || proc.signalCode !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`${path} exited before printing ${pattern}:\n${out}\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${path}: no line matching ${pattern} in ${timeoutMs} ms:\n${out}\n${err}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}
