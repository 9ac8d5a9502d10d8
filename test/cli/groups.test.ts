import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dynastore } from '../../src/facade/dynastore.js';
import type { Session } from '../../src/facade/session.js';
import type { Member } from '../../src/workgroup/index.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { bundleCli, cliEnv, removeCliBundle, runCli, startCli } from './run-cli.js';

const until = async (check: () => boolean, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('dynastore CLI: members, shards', () => {
  let t: DynamoTable;
  let env: NodeJS.ProcessEnv;
  let store: Dynastore;
  const sessions: Session[] = [];
  const members: Member[] = [];
  beforeAll(async () => {
    [t] = await Promise.all([useDynamoTable(), bundleCli()]);
    env = cliEnv(t.endpoint, t.tableName);
    store = new Dynastore({ client: t.client as DynamoDBClient, tableName: t.tableName });
    const group = store.workGroup('encoders', { shards: 6 });
    for (const id of ['w1', 'w2']) {
      const session = await store.session({ leaseMs: 3_000, owner: id });
      sessions.push(session);
      members.push(await group.join(session, { onShard: async () => undefined }));
    }
    await until(() => members.every((m) => m.owned().length === 3), 20_000, 'a balanced group');
    // the members publish what they hold right after taking it
    for (let i = 0; ; i++) {
      const published = await group.published();
      if ([...published.values()].every((owned) => owned.length === 3)) break;
      if (i > 200) throw new Error('the members never published their shards');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(async () => {
    for (const m of members) await m.leave().catch(() => undefined);
    for (const s of sessions) await s.close().catch(() => undefined);
    await Promise.all([t.cleanup(), removeCliBundle()]);
  });

  it('members lists the live members and the shards each holds; shards reads who holds each lock', async () => {
    const m = await runCli(['members', 'encoders', '--json'], env);
    expect(m.code).toBe(0);
    const listed = m.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { member: string; owned: number[] });
    expect(listed.map((x) => x.member)).toEqual(['w1', 'w2']);
    expect(listed.map((x) => x.owned)).toEqual(members.map((x) => x.owned()));
    const s = await runCli(['shards', 'encoders', '--json'], env);
    expect(s.code).toBe(0);
    const rows = s.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { shard: number; member: string | null });
    expect(rows.map((r) => r.shard)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const r of rows) expect(members.find((x) => x.owned().includes(r.shard))?.id).toBe(r.member);
    const text = await runCli(['shards', 'encoders'], env);
    expect(text.stdout.split('\n')[0]).toMatch(/^0\tw[12]$/);
    const empty = await runCli(['shards', 'nobody', '--shards', '2'], env);
    expect(empty.stdout).toBe('0\tfree\n1\tfree\n');
  });

  it('members and shards take --prefix: a tenant group is found under its prefix only', async () => {
    const prefix = 'tenant-a/';
    const session = await store.session({ leaseMs: 3_000, owner: 't1', prefix });
    sessions.push(session);
    const member = await store
      .workGroup('tenanted', { shards: 2, prefix })
      .join(session, { onShard: async () => undefined });
    members.push(member);
    await until(() => member.owned().length === 2, 20_000, 'the tenant member holds both shards');
    const listed = await runCli(['members', 'tenanted', '--prefix', prefix, '--json'], env);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout.trim()) as { member: string }).member).toBe('t1');
    expect((await runCli(['members', 'tenanted'], env)).stdout).toBe('');
    const owned = await runCli(['shards', 'tenanted', '--shards', '2', '--prefix', prefix], env);
    expect(owned.stdout).toBe('0\tt1\n1\tt1\n');
    expect((await runCli(['shards', 'tenanted', '--shards', '2'], env)).stdout).toBe('0\tfree\n1\tfree\n');
    const tooLong = await runCli(['shards', 'tenanted', '--prefix', 'x'.repeat(2_040)], env);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toMatch(/prefix/);
    await member.leave();
  });

  it('members --watch prints the list again when a member leaves', async () => {
    const cli = startCli(['members', 'encoders', '--watch'], env);
    await cli.waitFor(/^encoders: w1 \(3\), w2 \(3\)$/);
    await (members[1] as Member).leave();
    await cli.waitFor(/^encoders: w1 \(6\)$/, 20_000);
    cli.proc.kill('SIGINT');
    expect((await cli.done).code).toBe(130); // interrupted, as the exit-code table says
  });
});
