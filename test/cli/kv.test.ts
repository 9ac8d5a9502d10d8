import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { bundleCli, cliEnv, removeCliBundle, runCli } from './run-cli.js';

// Each step spawns the CLI (about a second on a loaded machine): generous per-test time.
describe('dynastore CLI: help, usage errors, key/value commands', { timeout: 120_000 }, () => {
  let t: DynamoTable;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    [t] = await Promise.all([useDynamoTable(), bundleCli()]);
    env = cliEnv(t.endpoint, t.tableName);
  });
  afterAll(() => Promise.all([t.cleanup(), removeCliBundle()]));

  it('prints help for the program and for every command', async () => {
    const main = await runCli(['--help'], env);
    expect(main.code).toBe(0);
    for (const name of ['dev', 'get', 'put', 'rm', 'ls', 'watch', 'lock', 'elect', 'leader']) {
      expect(main.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    expect(main.stdout).toContain('Exit codes:');
    const lock = await runCli(['lock', '--help'], env);
    expect(lock.code).toBe(0);
    expect(lock.stdout).toContain('Usage: dynastore lock <key>');
    expect(lock.stdout).toContain('DYNASTORE_FENCING_TOKEN');
    expect(lock.stdout).toContain('--endpoint <url>');
  });

  it('reports usage errors in one line with exit code 2', async () => {
    for (const args of [
      [],
      ['frobnicate'],
      ['get'],
      ['get', 'a/b', '--bogus'],
      ['put', 'nokey', 'v'],
      ['lock', 'k'],
    ]) {
      const r = await runCli(args, env);
      expect(r.code, args.join(' ')).toBe(2);
      if (args.length > 0) {
        expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
        expect(r.stderr).toMatch(/^dynastore: /);
      }
    }
  });

  it('puts, gets, lists and removes keys', async () => {
    const put = await runCli(['put', 'cfg/flags/dark', 'on'], env);
    expect(put).toMatchObject({ code: 0, stdout: 'cfg/flags/dark version 1\n' });
    expect((await runCli(['get', 'cfg/flags/dark'], env)).stdout).toBe('on\n');
    await runCli(['put', 'cfg/flags/beta', '--ttl', '1h'], env, 'from stdin');
    const json = await runCli(['get', 'cfg/flags/beta', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({
      partition: 'cfg',
      key: 'flags/beta',
      version: 1,
      value: 'from stdin',
    });
    expect(JSON.parse(json.stdout).expiresAt).toMatch(/^\d{4}-/);
    await runCli(['put', 'cfg/other', 'x'], env);
    expect((await runCli(['ls', 'cfg/flags/'], env)).stdout).toBe('cfg/flags/beta\ncfg/flags/dark\n');
    const lines = (await runCli(['ls', 'cfg', '--json'], env)).stdout.trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).key)).toEqual(['flags/beta', 'flags/dark', 'other']);
    expect((await runCli(['ls', 'cfg', '-l', '--limit', '1'], env)).stdout).toMatch(
      /^1\t\d{4}-.*\tcfg\/flags\/beta\t"from stdin"\n$/,
    );
    expect(await runCli(['rm', 'cfg/flags/dark'], env)).toMatchObject({
      code: 0,
      stdout: 'deleted cfg/flags/dark\n',
    });
    expect(await runCli(['rm', 'cfg/flags/dark', '--json'], env)).toMatchObject({ code: 0 });
    const missing = await runCli(['get', 'cfg/flags/dark'], env);
    expect(missing).toMatchObject({
      code: 3,
      stdout: '',
      stderr: 'dynastore: key not found: cfg/flags/dark\n',
    });
  });

  it('compare-and-swap: --if-absent and --if-version, exit code 4 on a lost race', async () => {
    expect((await runCli(['put', 'cas/k', 'one', '--if-absent'], env)).code).toBe(0);
    const exists = await runCli(['put', 'cas/k', 'two', '--if-absent'], env);
    expect(exists.code).toBe(4);
    expect(exists.stderr).toMatch(/exists/);
    expect((await runCli(['put', 'cas/k', 'two', '--if-version', '1'], env)).stdout).toBe(
      'cas/k version 2\n',
    );
    expect((await runCli(['put', 'cas/k', 'three', '--if-version', '1'], env)).code).toBe(4);
    expect((await runCli(['rm', 'cas/k', '--if-version', '1'], env)).code).toBe(4);
    expect((await runCli(['rm', 'cas/k', '--if-version', '2'], env)).code).toBe(0);
    expect((await runCli(['rm', 'cas/k', '--if-version', '2'], env)).code).toBe(3);
    // --partition for partition names with a slash (printed with the slash escaped, as get reads it)
    expect((await runCli(['put', '-p', 'a/b', 'c/d', 'v'], env)).stdout).toBe('a%2Fb/c/d version 1\n');
    expect((await runCli(['get', 'a%2Fb/c/d'], env)).stdout).toBe('v\n');
    expect((await runCli(['get', '--partition', 'a/b', 'c/d'], env)).stdout).toBe('v\n');
  });

  it('explains connection problems in one line (exit code 1)', async () => {
    const noTable = await runCli(['get', 'a/b'], cliEnv(t.endpoint, 'no-such-table'));
    expect(noTable.code).toBe(1);
    expect(noTable.stderr).toMatch(/^dynastore: table "no-such-table" not found at .*dynastore init/);
    expect(noTable.stderr.trim().split('\n')).toHaveLength(1);
    const refused = await runCli(['get', 'a/b', '--endpoint', 'http://127.0.0.1:9'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^dynastore: nothing answers at http:\/\/127\.0\.0\.1:9/);
    expect(refused.stderr).not.toMatch(/NodeVersionSupportWarning/);
  });
});
