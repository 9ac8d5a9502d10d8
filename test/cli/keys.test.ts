import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { bundleCli, cliArgv, cliEnv, removeCliBundle, runCli } from './run-cli.js';

/** Runs the CLI on a pseudo-terminal (util-linux `script`), answering `answer` to its question. */
function onTerminal(args: readonly string[], env: NodeJS.ProcessEnv, answer: string) {
  const quoted = cliArgv(args)
    .map((a) => `'${a.replaceAll("'", `'\\''`)}'`)
    .join(' ');
  const proc = spawn('script', ['-qec', quoted, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let answered = false;
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (!answered && out.includes('[y/N]')) {
      answered = true;
      proc.stdin.write(`${answer}\n`);
    }
  });
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    proc.once('close', (code) => resolve({ code, out }));
  });
}

// Each step spawns the CLI (about a second on a loaded machine): generous per-test time.
describe('dynastore CLI: binary values, ls names, rm --prefix, holder, lock -n', { timeout: 120_000 }, () => {
  let t: DynamoTable;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    [t] = await Promise.all([useDynamoTable(), bundleCli()]);
    env = cliEnv(t.endpoint, t.tableName);
  });
  afterAll(() => Promise.all([t.cleanup(), removeCliBundle()]));

  it('put from stdin stores the exact bytes and get gives them back, binary or text', async () => {
    for (let i = 0; i < 3; i++) {
      const data = randomBytes(1 + Math.floor(Math.random() * 50_000));
      expect((await runCli(['put', `bin/file${i}`], env, data)).code).toBe(0);
      const plain = await runCli(['get', `bin/file${i}`], env);
      expect(plain.code).toBe(0);
      expect(plain.stdoutBytes.equals(data), `get of ${data.length} random bytes`).toBe(true);
      const raw = await runCli(['get', `bin/file${i}`, '--raw'], env);
      expect(raw.stdoutBytes.equals(data), `get --raw of ${data.length} random bytes`).toBe(true);
      const json = JSON.parse((await runCli(['get', `bin/file${i}`, '--json'], env)).stdout);
      expect(Buffer.from(json.base64, 'base64').equals(data)).toBe(true);
      expect(json.value).toBeUndefined();
    }
    // text without a final newline: get adds one, --raw does not; a BOM and CRLF survive
    const text = Buffer.from('\ufeffhé\r\nllo', 'utf8');
    await runCli(['put', 'bin/text'], env, text);
    expect(
      (await runCli(['get', 'bin/text'], env)).stdoutBytes.equals(Buffer.concat([text, Buffer.from('\n')])),
    ).toBe(true);
    expect((await runCli(['get', 'bin/text', '--raw'], env)).stdoutBytes.equals(text)).toBe(true);
    expect(JSON.parse((await runCli(['get', 'bin/text', '--json'], env)).stdout).value).toBe(
      '\ufeffhé\r\nllo',
    );
    const listed = (await runCli(['ls', 'bin', '-l'], env)).stdout.trim().split('\n');
    expect(listed.at(-1)).toMatch(/\tbin\/text\t"\\ufeffhé\\r\\nllo"$|\tbin\/text\t"\ufeffhé\\r\\nllo"$/);
    expect(listed[0]).toMatch(/\tbin\/file0\tbase64:[A-Za-z0-9+/=]+$/);
    const help = (await runCli(['put', '--help'], env)).stdout;
    expect(help).toMatch(/binary-safe/);
    expect((await runCli(['get', '--help'], env)).stdout).toMatch(/--raw/);
  });

  it('ls prints names that get takes as they are, keys with slashes included; with -p, the keys', async () => {
    await runCli(['put', 'names/a/b/c', '1'], env);
    await runCli(['put', 'names/plain', '2'], env);
    const ls = await runCli(['ls', 'names'], env);
    expect(ls.stdout).toBe('names/a/b/c\nnames/plain\n');
    for (const name of ls.stdout.trim().split('\n')) {
      expect((await runCli(['get', name], env)).code).toBe(0);
    }
    await runCli(['put', '-p', 'x/y', 'k/1', 'v'], env);
    const withFlag = await runCli(['ls', '-p', 'x/y', ''], env);
    expect(withFlag.stdout).toBe('k/1\n');
    expect((await runCli(['get', '-p', 'x/y', withFlag.stdout.trim()], env)).stdout).toBe('v\n');
  });

  it('a partition with a slash round-trips: every command prints names the others take', async () => {
    // put names it so that get reads it back (the slash of the partition escaped as %2F)
    const put = await runCli(['put', '-p', 'team/a', 'k1', 'v1'], env);
    expect(put).toMatchObject({ code: 0, stdout: 'team%2Fa/k1 version 1\n' });
    expect((await runCli(['put', 'team%2Fa/dir/k2', 'v2'], env)).stdout).toBe('team%2Fa/dir/k2 version 1\n');
    await runCli(['put', 'team/a', 'not-this'], env); // key "a" of partition "team"
    // ls prints names get and rm take as they are
    const ls = await runCli(['ls', 'team%2Fa'], env);
    expect(ls).toMatchObject({ code: 0, stdout: 'team%2Fa/dir/k2\nteam%2Fa/k1\n' });
    expect((await runCli(['ls', '-p', 'team/a'], env)).stdout).toBe('dir/k2\nk1\n');
    expect((await runCli(['ls', 'team'], env)).stdout).toBe('team/a\n');
    const values = [];
    for (const name of ls.stdout.trim().split('\n')) values.push((await runCli(['get', name], env)).stdout);
    expect(values).toEqual(['v2\n', 'v1\n']);
    expect((await runCli(['get', '-p', 'team/a', 'k1'], env)).stdout).toBe('v1\n');
    // watch names events the same way
    const watched = await runCli(['watch', 'team%2Fa/k1', '--count', '1'], env);
    expect(watched.stdout).toBe('team%2Fa/k1 = "v1" (v1, snapshot)\n');
    // rm prints the name, and removes what ls named
    for (const name of ls.stdout.trim().split('\n')) {
      expect((await runCli(['rm', name], env)).stdout).toBe(`deleted ${name}\n`);
    }
    expect((await runCli(['ls', '-p', 'team/a'], env)).stdout).toBe('');
    expect(await runCli(['get', 'team%2Fa/k1'], env)).toMatchObject({
      code: 3,
      stderr: 'dynastore: key not found: team%2Fa/k1\n',
    });
    expect((await runCli(['get', 'team/a'], env)).stdout).toBe('not-this\n');
  });

  it('get prints text and one newline, so "hi" and "hi\\n" differ; --raw and --json are exact', async () => {
    await runCli(['put', 'nl/plain'], env, 'hi');
    await runCli(['put', 'nl/newline'], env, 'hi\n');
    expect((await runCli(['get', 'nl/plain'], env)).stdout).toBe('hi\n');
    expect((await runCli(['get', 'nl/newline'], env)).stdout).toBe('hi\n\n');
    expect((await runCli(['get', 'nl/plain', '--raw'], env)).stdout).toBe('hi');
    expect((await runCli(['get', 'nl/newline', '--raw'], env)).stdout).toBe('hi\n');
    expect(JSON.parse((await runCli(['get', 'nl/newline', '--json'], env)).stdout).value).toBe('hi\n');
  });

  it('rm --prefix needs --yes without a terminal, asks on one, and says how many it deleted', async () => {
    for (const k of ['p/1', 'p/2', 'q/1']) await runCli(['put', `del/${k}`, 'v'], env);
    await runCli(['put', 'keep/p/1', 'v'], env);
    const refused = await runCli(['rm', 'del/p/', '--prefix'], env);
    expect(refused).toMatchObject({
      code: 2,
      stderr: 'dynastore: rm --prefix deletes every key under "del/p/": pass --yes to confirm\n',
    });
    expect((await runCli(['ls', 'del'], env)).stdout).toBe('del/p/1\ndel/p/2\ndel/q/1\n');
    const no = await onTerminal(['rm', 'del/p/', '--prefix'], env, 'n');
    expect(no.out).toMatch(/delete 2 keys under "del\/p\/"\? \[y\/N\]/);
    expect(no.out).toMatch(/nothing deleted/);
    expect((await runCli(['ls', 'del'], env)).stdout).toBe('del/p/1\ndel/p/2\ndel/q/1\n');
    const yes = await onTerminal(['rm', 'del/p/', '--prefix'], env, 'y');
    expect(yes.out).toMatch(/deleted 2 keys/);
    expect(yes.code).toBe(0);
    expect((await runCli(['ls', 'del'], env)).stdout).toBe('del/q/1\n');
    const all = await runCli(['rm', 'del', '--prefix', '--yes', '--json'], env);
    expect(JSON.parse(all.stdout)).toEqual({ partition: 'del', prefix: '', deleted: 1 });
    expect((await runCli(['ls', 'del'], env)).stdout).toBe('');
    expect((await runCli(['ls', 'keep'], env)).stdout).toBe('keep/p/1\n');
    expect((await runCli(['rm', 'del/x', '--yes'], env)).code).toBe(2);
  });

  it('holder shows owner, token, lease and expiry of a lock (and of semaphore permits); exit 3 when free', async () => {
    const free = await runCli(['holder', 'h/lock'], env);
    expect(free).toMatchObject({ code: 3, stderr: 'dynastore: lock "h/lock" is free\n' });
    const script = 'console.log("held", process.env.DYNASTORE_FENCING_TOKEN); setInterval(() => {}, 1000)';
    const args = (extra: string[]) => [
      'lock',
      'h/lock',
      '--owner',
      'me',
      ...extra,
      '--',
      process.execPath,
      '-e',
      script,
    ];
    const { startCli } = await import('./run-cli.js');
    const holding = startCli(args(['--lease', '4s']), env);
    const token = (await holding.waitFor(/^held /)).split(' ')[1];
    const text = await runCli(['holder', 'h/lock'], env);
    expect(text.stdout).toMatch(new RegExp(`^"me" token ${token}, lease 4000ms, expires \\d{4}-\\S+Z\\n$`));
    const json = JSON.parse((await runCli(['holder', 'h/lock', '--json'], env)).stdout);
    expect(json).toMatchObject({ lock: 'h/lock', owner: 'me', token, leaseMs: 4000 });
    expect(Date.parse(json.expiresAt)).toBeGreaterThan(Date.now());
    holding.proc.kill('SIGTERM');
    await holding.done;
    expect((await runCli(['holder', 'h/lock'], env)).code).toBe(3);
  });

  it('lock -n N: N holders at once, the next one waits (exit 5 with --no-wait)', async () => {
    const { startCli } = await import('./run-cli.js');
    const script = 'console.log("in", process.env.DYNASTORE_FENCING_TOKEN); setInterval(() => {}, 1000)';
    const run = (owner: string) =>
      startCli(['lock', 'sem', '-n', '2', '--owner', owner, '--', process.execPath, '-e', script], env);
    const a = run('a');
    const b = run('b');
    await Promise.all([a.waitFor(/^in /), b.waitFor(/^in /)]);
    const busy = await runCli(['lock', 'sem', '-n', '2', '--no-wait', '--', 'true'], env);
    expect(busy.code).toBe(5);
    expect(busy.stderr).toMatch(/^dynastore: all 2 permits of "sem" are held \(by "(a", "b|b", "a)"\)\n$/);
    const holders = (await runCli(['holder', 'sem', '-n', '2', '--json'], env)).stdout.trim().split('\n');
    expect(holders.map((l) => JSON.parse(l).owner).sort()).toEqual(['a', 'b']);
    // the plain lock of the same name is another thing
    expect((await runCli(['lock', 'sem', '--no-wait', '--', 'true'], env)).code).toBe(0);
    const c = run('c');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(c.stdout()).toBe('');
    a.proc.kill('SIGTERM');
    await c.waitFor(/^in /);
    b.proc.kill('SIGTERM');
    c.proc.kill('SIGTERM');
    await Promise.all([a.done, b.done, c.done]);
    expect((await runCli(['holder', 'sem', '-n', '2'], env)).code).toBe(3);
    expect((await runCli(['lock', '--help'], env)).stdout).toMatch(/-n, --permits <n>/);
  });
});
