import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/contract/errors/base.js';
import { LocalDynamoError } from '../../src/contract/errors/local.js';
import { ValidationError } from '../../src/contract/errors/store.js';
import { type LocalDynamo, startLocalDynamo } from '../../src/testing/local-dynamo.js';

const JVM_TEST_MS = 90_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  while (Date.now() < end) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/** Command lines of this process's children (Linux /proc). */
async function childCommands(): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid)
        out.push((await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' '));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function fakeJava(dir: string, name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

describe('startLocalDynamo', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'dynastore-local-dynamo-'));
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  it(
    'starts an instance that answers, refuses its port to a second one, and stop() leaves no process',
    async () => {
      const local: LocalDynamo = await startLocalDynamo({ startTimeoutMs: 60_000 });
      try {
        expect(local.endpoint).toBe(`http://127.0.0.1:${local.port}`);
        expect(isAlive(local.pid)).toBe(true);
        const { TableNames } = await local.client.send(new ListTablesCommand({}));
        expect(TableNames).toEqual([]);

        const taken = await startLocalDynamo({ port: local.port }).catch((e: unknown) => e);
        expect(taken).toBeInstanceOf(LocalDynamoError);
        expect(taken).toMatchObject({ reason: 'port-in-use', code: ErrorCode.LocalDynamo });
      } finally {
        await local.stop();
      }
      expect(isAlive(local.pid)).toBe(false);
      expect((await childCommands()).filter((c) => /DynamoDBLocal|dynastore-watchdog/.test(c))).toEqual([]);
      await local.stop(); // idempotent
      await expect(local.client.send(new ListTablesCommand({}))).rejects.toThrow();
    },
    JVM_TEST_MS,
  );

  it('fails fast with a LocalDynamoError naming the fix when Java is missing', async () => {
    const started = performance.now();
    const err = await startLocalDynamo({ javaPath: '/nonexistent/java' }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(LocalDynamoError);
    expect(err).toMatchObject({
      reason: 'java-missing',
      code: ErrorCode.LocalDynamo,
      name: 'LocalDynamoError',
    });
    expect((err as Error).message).toContain('apt-get install -y openjdk-17-jre-headless');
    expect((err as Error).message).toContain('/nonexistent/java');
  });

  it('reports the stderr of a Java that exits early', async () => {
    const java = await fakeJava(
      scratch,
      'broken-java',
      'echo "Error: could not open DynamoDBLocal.jar (simulated)" >&2\nexit 3',
    );
    const err = await startLocalDynamo({ javaPath: java }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalDynamoError);
    expect(err).toMatchObject({ reason: 'exited' });
    expect((err as Error).message).toContain('exited with code 3');
    expect((err as Error).message).toContain('could not open DynamoDBLocal.jar (simulated)');
    expect((err as LocalDynamoError).output).toContain('(simulated)');
  });

  it('gives up after startTimeoutMs and kills what it started', async () => {
    const pidFile = join(scratch, 'hung.pid');
    const java = await fakeJava(scratch, 'hung-java', `echo $$ > '${pidFile}'\nexec sleep 60`);
    const err = await startLocalDynamo({ javaPath: java, startTimeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalDynamoError);
    expect(err).toMatchObject({ reason: 'timeout' });
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(await waitUntilGone(pid, 1_000)).toBe(true);
  });

  it('rejects bad options before starting anything', async () => {
    await expect(startLocalDynamo({ port: 70_000 })).rejects.toBeInstanceOf(ValidationError);
    await expect(startLocalDynamo({ startTimeoutMs: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(startLocalDynamo({ dbPath: '/tmp' })).rejects.toThrow(/inMemory: false/);
    const bogus = { bogus: true } as unknown as Parameters<typeof startLocalDynamo>[0];
    await expect(startLocalDynamo(bogus)).rejects.toThrow(/startLocalDynamo.bogus: unknown option/);
  });

  it(
    'dies with its parent even when the parent is SIGKILLed',
    async () => {
      const fixture = fileURLToPath(new URL('./fixtures/start-and-hang.ts', import.meta.url));
      const parent = spawn(process.execPath, ['--import', 'tsx', fixture], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        let stderr = '';
        parent.stderr.setEncoding('utf8').on('data', (chunk: string) => {
          stderr += chunk;
        });
        const line = await new Promise<string>((resolve, reject) => {
          let out = '';
          parent.stdout.setEncoding('utf8').on('data', (chunk: string) => {
            out += chunk;
            if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
          });
          parent.once('exit', (code) => reject(new Error(`fixture exited (${code}) early: ${stderr}`)));
        });
        const { pid } = JSON.parse(line) as { pid: number };
        expect(isAlive(pid)).toBe(true);
        parent.kill('SIGKILL');
        expect(await waitUntilGone(pid, 10_000)).toBe(true);
      } finally {
        parent.kill('SIGKILL');
      }
    },
    JVM_TEST_MS,
  );
});
