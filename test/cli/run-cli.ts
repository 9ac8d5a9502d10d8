import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';

/** The CLI's source entry. */
export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let bundle: string | undefined;

/**
 * Bundles the CLI from source (as `npm run build` does, without types) into a scratch folder under
 * node_modules/.cache, so each spawn costs a plain `node` start instead of a tsx compile. Call in
 * `beforeAll`; `removeCliBundle()` in `afterAll`.
 */
export async function bundleCli(): Promise<void> {
  const outDir = join(ROOT, 'node_modules', '.cache', `dynastore-cli-test-${randomBytes(4).toString('hex')}`);
  await build({
    entry: { cli: CLI_MAIN },
    format: ['esm'],
    outDir,
    platform: 'node',
    target: 'node20',
    dts: false,
    sourcemap: false,
    splitting: false,
    clean: false,
    silent: true,
    config: false,
  });
  bundle = join(outDir, 'cli.js');
}

/** The bundle of {@link bundleCli} (a single ESM file; its packages are imported at run time). */
export function bundledCli(): string {
  if (!bundle) throw new Error('bundleCli() first');
  return bundle;
}

/** Deletes the bundle of {@link bundleCli}. */
export async function removeCliBundle(): Promise<void> {
  if (bundle) await rm(join(bundle, '..'), { recursive: true, force: true });
  bundle = undefined;
}

/** What a finished CLI run left. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  /** Stdout exactly as written (binary output). */
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
}

/** A CLI process still running. */
export interface RunningCli {
  readonly proc: ChildProcess;
  readonly done: Promise<CliResult>;
  /** Stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout holds a line matching `pattern` (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** Environment for a CLI pointed at `endpoint` / `table`, free of the caller's AWS settings. */
export function cliEnv(
  endpoint: string,
  table: string,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env))
    if (name.startsWith('AWS_') || name.startsWith('DYNASTORE_')) delete env[name];
  return { ...env, AWS_ENDPOINT_URL_DYNAMODB: endpoint, DYNASTORE_TABLE: table, ...extra };
}

/** The argv that runs `dynastore <args>`: node and the bundle (or tsx and the source). */
export function cliArgv(args: readonly string[]): string[] {
  return [process.execPath, ...(bundle ? [bundle] : ['--import', 'tsx', CLI_MAIN]), ...args];
}

/** Starts `dynastore <args>` as a child process (the bundle, or the source through tsx). */
export function startCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input?: string | Uint8Array,
): RunningCli {
  const entry = bundle ? [bundle] : ['--import', 'tsx', CLI_MAIN];
  const proc = spawn(process.execPath, [...entry, ...args], {
    cwd: ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const outBytes: Buffer[] = [];
  const decoder = new StringDecoder('utf8');
  const waiters = new Set<() => void>();
  proc.stdout?.on('data', (chunk: Buffer) => {
    outBytes.push(chunk);
    out += decoder.write(chunk);
    for (const w of waiters) w();
  });
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  if (input !== undefined) proc.stdin?.end(input);
  else proc.stdin?.end();
  const done = new Promise<CliResult>((resolve) => {
    proc.once('close', (code, signal) => {
      for (const w of waiters) w();
      out += decoder.end();
      resolve({ code, signal, stdout: out, stdoutBytes: Buffer.concat(outBytes), stderr: err });
    });
  });
  return {
    proc,
    done,
    stdout: () => out,
    stderr: () => err,
    waitFor: (pattern, timeoutMs = 15_000) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const line = out.split('\n').find((l) => pattern.test(l));
          if (line !== undefined) {
            finish();
            resolve(line);
          } else if (proc.exitCode !== null || proc.signalCode !== null) {
            finish();
            reject(
              new Error(`exited (${proc.exitCode ?? proc.signalCode}) before printing ${pattern}: ${err}`),
            );
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(
            new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout: ${out}; stderr: ${err}`),
          );
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
}

/** Runs `dynastore <args>` to completion. */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input?: string | Uint8Array,
): Promise<CliResult> {
  return startCli(args, env, input).done;
}
