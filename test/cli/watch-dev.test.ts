import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { bundleCli, cliEnv, removeCliBundle, runCli, startCli } from './run-cli.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('dynastore CLI: watch, dev, --local', () => {
  let t: DynamoTable;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    [t] = await Promise.all([useDynamoTable(), bundleCli()]);
    env = cliEnv(t.endpoint, t.tableName);
  });
  afterAll(() => Promise.all([t.cleanup(), removeCliBundle()]));

  it('watch prints the snapshot, then each change as it comes', async () => {
    await runCli(['put', 'w/flags/a', 'on'], env);
    const one = startCli(['watch', 'w/flags/a', '--json', '--count', '3'], env);
    const all = startCli(['watch', 'w/flags/', '--prefix'], env);
    // both watchers are positioned once their snapshot is out: no change after it can be missed
    await one.waitFor(/"cause":"snapshot"/);
    await all.waitFor(/snapshot/);
    await runCli(['put', 'w/flags/a', 'off'], env);
    await runCli(['put', 'w/flags/b', 'x'], env);
    await runCli(['rm', 'w/flags/a'], env);
    const r = await one.done;
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { type: 'put', cause: 'snapshot', partition: 'w', key: 'flags/a', version: 1, value: 'on' },
      { type: 'put', cause: 'write', partition: 'w', key: 'flags/a', version: 2, value: 'off' },
      { type: 'delete', cause: 'write', partition: 'w', key: 'flags/a' },
    ]);
    await all.waitFor(/flags\/a deleted/);
    all.proc.kill('SIGINT');
    const prefixed = await all.done;
    expect(prefixed.code).toBe(130); // interrupted (test/cli/exit.test.ts checks the timing)
    expect(prefixed.stdout).toBe(
      'w/flags/a = "on" (v1, snapshot)\nw/flags/a = "off" (v2, write)\nw/flags/b = "x" (v1, write)\nw/flags/a deleted (write)\n',
    );
  });

  it('dev runs DynamoDB Local with the table until SIGTERM, and stops Java', async () => {
    const dev = startCli(
      ['dev', '--port', '0', '--table', 'devtable', '--json'],
      cliEnv(t.endpoint, t.tableName),
    );
    try {
      const info = JSON.parse(await dev.waitFor(/endpoint/, 60_000)) as {
        endpoint: string;
        pid: number;
        table: string;
      };
      expect(info.table).toBe('devtable');
      expect(alive(info.pid)).toBe(true);
      const devEnv = cliEnv(info.endpoint, 'devtable');
      expect((await runCli(['put', 'a/b', 'c'], devEnv)).code).toBe(0);
      expect((await runCli(['get', 'a/b'], devEnv)).stdout).toBe('c\n');
      dev.proc.kill('SIGTERM');
      expect((await dev.done).code).toBe(0);
      expect(alive(info.pid)).toBe(false);
    } finally {
      if (dev.proc.exitCode === null) dev.proc.kill('SIGKILL'); // its Java dies with it (watchdog)
    }
  }, 90_000);

  it('--local runs one command against a throw-away DynamoDB Local', async () => {
    const r = await runCli(
      ['put', 'a/b', 'c', '--local', '--json'],
      cliEnv('http://127.0.0.1:9', 'throwaway'),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ partition: 'a', key: 'b', version: 1 });
  }, 90_000);
});
