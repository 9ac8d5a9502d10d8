import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dynastore } from '../../src/facade/dynastore.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { type RunningScript, scriptEnv, startScript } from './run-script.js';

describe('examples (smoke tests against DynamoDB Local)', () => {
  let t: DynamoTable;
  const running: RunningScript[] = [];
  const start = (path: string, args: string[], extra: Record<string, string> = {}) => {
    const s = startScript(path, args, scriptEnv(t.endpoint, t.tableName, extra));
    running.push(s);
    return s;
  };
  beforeAll(async () => {
    t = await useDynamoTable();
  });
  afterAll(async () => {
    for (const s of running) s.kill('SIGKILL');
    await t.cleanup();
  });

  it('leader-election: one worker leads; on SIGTERM the other takes over at once', async () => {
    const worker = 'examples/leader-election/worker.ts';
    const a = start(worker, [], { WORKER_ID: 'a', ELECTION_LEASE_MS: '1500' });
    await a.waitFor(/a: leading: planned tick 1/);
    const b = start(worker, [], { WORKER_ID: 'b', ELECTION_LEASE_MS: '1500' });
    await b.waitFor(/b: following a \(term \d+\)/);
    const mark = b.stdout().length;
    a.kill('SIGTERM');
    expect((await a.done).code).toBe(0);
    await b.waitFor(/b: leading: planned tick 1/, 5_000, mark);
    const store = new Dynastore({ client: t.client, tableName: t.tableName });
    expect(await store.election('example-scheduler').leader()).toMatchObject({ id: 'b' });
    b.kill('SIGTERM');
    const r = await b.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/b: bye\n$/);
  });

  it('lambda-mutex: concurrent invocations lose no deposit', async () => {
    const r = await start('examples/lambda-mutex/harness.ts', [], { INVOCATIONS: '8', TIMEOUT_MS: '30000' })
      .done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('8 deposits done, 0 gave up');
    expect(r.stdout).toMatch(/final balance: 8 \(expected 8\): no deposit lost/);
  });

  it('shard-workers: the demo spreads 12 shards, moves them on a leave, a kill -9 and two joins, and ends cleanly', async () => {
    const demo = start('examples/shard-workers/demo.ts', []);
    const r = await Promise.race([
      demo.done,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`the demo did not end: ${demo.stdout()}`)), 150_000),
      ),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const step of ['the start', 'the leave', 'the kill', 'the joins'])
      expect(r.stdout).toContain(`settled after ${step}: 12 of 12 shards held`);
    expect(r.stdout).toMatch(/the shards' fenced counters add up to [1-9]\d*/);
    expect(r.stdout).toMatch(/done\n$/);
  }, 180_000);

  it('config-reload: the flag is hot-reloaded through watch', async () => {
    const app = start('examples/config-reload/app.ts', []);
    await app.waitFor(/config loaded: flags\/shout is absent/);
    const store = new Dynastore({ client: t.client, tableName: t.tableName });
    let mark = app.stdout().length;
    await store.partition('config').put('flags/shout', 'on');
    await app.waitFor(/config changed: flags\/shout is "on"/, 10_000, mark);
    await app.waitFor(/HELLO FROM THE CONFIG EXAMPLE/, 5_000, mark);
    mark = app.stdout().length;
    await store.partition('config').delete('flags/shout');
    await app.waitFor(/config changed: flags\/shout is absent/, 10_000, mark);
    app.kill('SIGTERM');
    expect((await app.done).code).toBe(0);
  });
});
