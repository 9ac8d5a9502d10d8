import { readFileSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dynastore } from '../../src/facade/dynastore.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { bundleCli, cliEnv, removeCliBundle, runCli, startCli } from './run-cli.js';

/** Alive and not a zombie (a zombie nobody reaps has exited: it runs nothing). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Resolves once none of `pids` is alive; rejects after `timeoutMs` naming the survivors. */
async function allGone(pids: readonly number[], timeoutMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`still running after ${timeoutMs} ms: ${left}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A command whose shell starts a grandchild and prints both pids. */
const FAMILY = ['sh', '-c', 'sleep 300 & echo "pids $$ $!"; wait'];
const pidsOf = (line: string) => line.split(' ').slice(1).map(Number);

// Each step spawns the CLI (about a second on a loaded machine): generous per-test time.
describe('dynastore CLI: the command runs in its own process group and never outlives dynastore', {
  timeout: 120_000,
}, () => {
  let t: DynamoTable;
  let env: NodeJS.ProcessEnv;
  let store: Dynastore;
  const leftovers: number[] = [];
  beforeAll(async () => {
    [t] = await Promise.all([useDynamoTable(), bundleCli()]);
    env = cliEnv(t.endpoint, t.tableName);
    store = new Dynastore({ client: t.client as DynamoDBClient, tableName: t.tableName });
  });
  afterAll(async () => {
    for (const pid of leftovers) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await Promise.all([t.cleanup(), removeCliBundle()]);
  });

  it('kill -9 of dynastore lock: the command and its grandchildren are gone within the grace period', async () => {
    const cli = startCli(['lock', 'pg/kill9', '--lease', '1s', '--kill-after', '1s', '--', ...FAMILY], env);
    const pids = pidsOf(await cli.waitFor(/^pids /));
    leftovers.push(...pids);
    expect(pids.every(alive)).toBe(true);
    cli.proc.kill('SIGKILL');
    // the watchdog: SIGTERM at once (sh and sleep die of it); generous bound for a busy machine
    const ms = await allGone(pids, 10_000);
    expect(ms).toBeLessThan(10_000);
    expect((await cli.done).signal).toBe('SIGKILL');
    // and the next holder can have the lock once the lease ran out
    const next = await store
      .lock('pg/kill9', { leaseMs: 1_000, maxClockSkewMs: 250 })
      .acquire({ waitMs: 10_000 });
    await next.release();
  });

  it('kill -9 of dynastore elect: a command that ignores SIGTERM is SIGKILLed after --kill-after', async () => {
    const stubborn = ['sh', '-c', 'trap "" TERM; sleep 300 & echo "pids $$ $!"; wait; wait; wait'];
    const cli = startCli(
      ['elect', 'pg-elect', '--lease', '1s', '--kill-after', '500ms', '--', ...stubborn],
      env,
    );
    const pids = pidsOf(await cli.waitFor(/^pids /));
    leftovers.push(...pids);
    cli.proc.kill('SIGKILL');
    await allGone(pids, 15_000);
  });

  it('on lease loss the whole group is stopped (SIGTERM, then SIGKILL) and the exit code is 6', async () => {
    const cli = startCli(
      ['lock', 'pg/lost', '--lease', '800ms', '--kill-after', '500ms', '--', ...FAMILY],
      env,
    );
    const pids = pidsOf(await cli.waitFor(/^pids /));
    leftovers.push(...pids);
    cli.proc.kill('SIGSTOP'); // a paused holder: no heartbeats
    try {
      const taken = await store
        .lock('pg/lost', { leaseMs: 800, maxClockSkewMs: 200 })
        .acquire({ waitMs: 5_000 });
      await taken.release();
    } finally {
      cli.proc.kill('SIGCONT');
    }
    const r = await cli.done;
    expect(r.code).toBe(6);
    await allGone(pids, 10_000);
  });

  it('what the command leaves running when it exits is stopped too; its exit code is passed on', async () => {
    const r = await runCli(['lock', 'pg/bg', '--', 'sh', '-c', 'sleep 300 & echo "pids $!"; exit 9'], env);
    expect(r.code).toBe(9);
    const pids = pidsOf(r.stdout.trim());
    leftovers.push(...pids);
    await allGone(pids, 10_000);
  });

  it('SIGINT and SIGHUP to dynastore reach the command, which may handle them; signal deaths give 128+n', async () => {
    const script =
      'let n = 0; process.on("SIGINT", () => { console.log("int", ++n); if (n === 2) process.exit(42) });' +
      'process.on("SIGHUP", () => console.log("hup")); console.log("ready"); setInterval(() => {}, 1000)';
    const cli = startCli(['lock', 'pg/int', '--', process.execPath, '-e', script], env);
    await cli.waitFor(/ready/);
    cli.proc.kill('SIGHUP');
    await cli.waitFor(/hup/);
    cli.proc.kill('SIGINT');
    await cli.waitFor(/int 1/);
    cli.proc.kill('SIGINT'); // a second Ctrl-C is the command's business too
    const r = await cli.done;
    expect(r.stdout).toBe('ready\nhup\nint 1\nint 2\n');
    expect(r.code).toBe(42);
    const killed = await runCli(['lock', 'pg/sig', '--', 'sh', '-c', 'kill -USR1 $$'], env);
    expect(killed.code).toBe(128 + 10);
    expect(await store.lock('pg/int').holder()).toBeUndefined();
  });

  it('the command gets stdin, and a missing command gives exit 127', async () => {
    const r = await runCli(['lock', 'pg/stdin', '--', 'cat'], env, 'piped in\n');
    expect(r).toMatchObject({ code: 0, stdout: 'piped in\n' });
    const missing = await runCli(['lock', 'pg/none', '--', 'no-such-command-here'], env);
    expect(missing).toMatchObject({
      code: 127,
      stderr: 'dynastore: cannot run "no-such-command-here": command not found\n',
    });
  });
});
