import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dynastore } from '../../src/facade/dynastore.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { bundleCli, cliEnv, removeCliBundle, runCli, startCli } from './run-cli.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const node = (code: string) => [process.execPath, '-e', code];

describe('dynastore CLI: lock, elect, leader', () => {
  let t: DynamoTable;
  let env: NodeJS.ProcessEnv;
  let store: Dynastore;
  beforeAll(async () => {
    [t] = await Promise.all([useDynamoTable(), bundleCli()]);
    env = cliEnv(t.endpoint, t.tableName);
    store = new Dynastore({ client: t.client as DynamoDBClient, tableName: t.tableName });
  });
  afterAll(() => Promise.all([t.cleanup(), removeCliBundle()]));

  it('lock runs the command with the fencing token and exits with its code', async () => {
    const r = await runCli(
      [
        'lock',
        'jobs/a',
        '--',
        ...node(
          'console.log(process.env.DYNASTORE_FENCING_TOKEN, process.env.DYNASTORE_LOCK_KEY); process.exit(7)',
        ),
      ],
      env,
    );
    expect(r.code).toBe(7);
    const [token, key] = r.stdout.trim().split(' ');
    expect(BigInt(token ?? '0')).toBeGreaterThan(0n);
    expect(key).toBe('jobs/a');
    expect(await store.lock('jobs/a').holder()).toBeUndefined(); // released
    const again = await runCli(
      ['lock', 'jobs/a', '--', ...node('console.log(process.env.DYNASTORE_FENCING_TOKEN)')],
      env,
    );
    expect(BigInt(again.stdout.trim())).toBeGreaterThan(BigInt(token ?? '0'));
    expect((await runCli(['lock', 'jobs/a', '--', 'no-such-command-here'], env)).code).toBe(127);
  });

  it('--prefix: lock, holder and leader find the rows under a tenant prefix', async () => {
    const lease = await store.lock('jobs/t', { owner: 'tenant-holder', prefix: 'tenant-a/' }).acquire();
    try {
      expect(lease.partition).toBe('tenant-a/_lock/jobs/t');
      const held = await runCli(['holder', 'jobs/t', '--prefix', 'tenant-a/'], env);
      expect(held.code).toBe(0);
      expect(held.stdout).toMatch(/^"tenant-holder" token \d+/);
      const other = await runCli(['holder', 'jobs/t'], env); // no prefix: another lock, free
      expect(other.code).toBe(3);
      const busy = await runCli(['lock', 'jobs/t', '--prefix', 'tenant-a/', '--no-wait', '--', 'true'], env);
      expect(busy.code).toBe(5);
    } finally {
      await lease.release();
    }
    const leadership = await store.election('sched/t', { prefix: 'tenant-a/' }).campaign('n1');
    const leader = await runCli(['leader', 'sched/t', '--prefix', 'tenant-a/'], env);
    expect(leader.stdout.trim()).toBe(`n1 ${leadership.term}`);
    await leadership.resign();
  });

  it('lock --no-wait / --wait give up with exit code 5 while someone holds the lock', async () => {
    const lease = await store.lock('jobs/busy', { owner: 'test-holder' }).acquire();
    try {
      const now = await runCli(['lock', 'jobs/busy', '--no-wait', '--', 'true'], env);
      expect(now.code).toBe(5);
      expect(now.stderr).toBe('dynastore: lock "jobs/busy" is held by "test-holder"\n');
      const waited = await runCli(['lock', 'jobs/busy', '--wait', '300ms', '--', 'true'], env);
      expect(waited.code).toBe(5);
      expect(waited.stderr).toMatch(/not acquired within \d+ ms \(held by "test-holder"\)/);
    } finally {
      await lease.release();
    }
  });

  it('lock stops the command and exits 6 when the lease is lost', async () => {
    const cli = startCli(
      [
        'lock',
        'jobs/lost',
        '--lease',
        '800ms',
        '--kill-after',
        '500ms',
        '--',
        ...node('console.log("started"); setInterval(() => {}, 1000)'),
      ],
      env,
    );
    await cli.waitFor(/started/);
    cli.proc.kill('SIGSTOP'); // a paused holder: no heartbeats
    try {
      const taken = await store
        .lock('jobs/lost', { leaseMs: 800, maxClockSkewMs: 200 })
        .acquire({ waitMs: 5_000 });
      await taken.release();
    } finally {
      cli.proc.kill('SIGCONT');
    }
    const r = await cli.done;
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^dynastore: lease on "jobs\/lost" .*; stopping the command\n$/);
  });

  it('lock waits for the holder, and SIGTERM is passed on to the command', async () => {
    const lease = await store.lock('jobs/queue').acquire();
    const cli = startCli(
      [
        'lock',
        'jobs/queue',
        '--',
        ...node(
          'process.on("SIGTERM", () => { console.log("term"); process.exit(3) }); console.log("running"); setInterval(() => {}, 1000)',
        ),
      ],
      env,
    );
    await sleep(1_000);
    expect(cli.stdout()).toBe('');
    await lease.release();
    await cli.waitFor(/running/);
    cli.proc.kill('SIGTERM');
    const r = await cli.done;
    expect(r).toMatchObject({ stdout: 'running\nterm\n', stderr: '' });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('running\nterm\n');
    expect(await store.lock('jobs/queue').holder()).toBeUndefined();
  });

  it('elect runs the command only while leading; the next candidate takes over on exit', async () => {
    const script =
      'console.log("leading", process.env.DYNASTORE_LEADER_ID, process.env.DYNASTORE_TERM); setInterval(() => {}, 1000)';
    const first = startCli(['elect', 'sched', '--id', 'one', '--lease', '1s', '--', ...node(script)], env);
    const firstLine = await first.waitFor(/leading/);
    const second = startCli(['elect', 'sched', '--id', 'two', '--lease', '1s', '--', ...node(script)], env);
    const leader = await runCli(['leader', 'sched', '--json'], env);
    expect(JSON.parse(leader.stdout)).toMatchObject({ election: 'sched', leader: { id: 'one' } });
    const busy = await runCli(['elect', 'sched', '--no-wait', '--', 'true'], env);
    expect(busy).toMatchObject({ code: 5, stderr: 'dynastore: election "sched" is led by "one"\n' });
    await sleep(500);
    expect(second.stdout()).toBe('');
    first.proc.kill('SIGTERM');
    expect((await first.done).code).toBe(143);
    const secondLine = await second.waitFor(/leading/);
    const term = (line: string) => BigInt(line.split(' ')[2] ?? '0');
    expect(secondLine).toMatch(/^leading two \d+$/);
    expect(term(secondLine)).toBeGreaterThan(term(firstLine));
    second.proc.kill('SIGTERM');
    await second.done;
    expect((await runCli(['leader', 'sched'], env)).code).toBe(3);
  });
});
