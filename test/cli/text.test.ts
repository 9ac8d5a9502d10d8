import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands/index.js';
import { run } from '../../src/cli/run.js';
import { formatAddress, formatDuration, parseAddress, parseDuration } from '../../src/cli/values.js';
import { MAX_LEASE_MS, MAX_TTL_MS } from '../../src/index.js';

/** Runs the CLI in this process; nothing listens at the endpoint (these runs must not need it). */
async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}
const OFFLINE = ['--endpoint', 'http://127.0.0.1:9'];

describe('dynastore CLI: limits agree with the library and messages quote what was typed', () => {
  it('--ttl: the ten-year limit of the library, one constant', async () => {
    expect(MAX_TTL_MS).toBe(3650 * 86_400_000);
    expect(parseDuration('--ttl', '3650d', { maxMs: MAX_TTL_MS })).toBe(MAX_TTL_MS);
    expect(await cli('put', 'a/b', 'v', '--ttl', '3651d', ...OFFLINE)).toEqual({
      code: 2,
      stdout: '',
      stderr: 'dynastore: --ttl: must be at most 3650d, got "3651d"\n',
    });
  });

  it('every duration flag: what was typed, never a rounded number', async () => {
    const cases: [string[], string][] = [
      [['put', 'a/b', 'v', '--ttl', '0.0001'], '--ttl: must be at least 1ms, got "0.0001"'],
      [['put', 'a/b', 'v', '--ttl', '0.4ms'], '--ttl: must be at least 1ms, got "0.4ms"'],
      [['put', 'a/b', 'v', '--ttl', '0s'], '--ttl: must be more than 0, got "0s"'],
      [['lock', 'k', '--lease', '0.0001', '--', 'true'], '--lease: must be at least 1ms, got "0.0001"'],
      [['lock', 'k', '--lease', '8d', '--', 'true'], '--lease: must be at most 7d, got "8d"'],
      [['elect', 'e', '--lease', '7d1ms', '--', 'true'], '--lease: must be at most 7d, got "7d1ms"'],
      [['lock', 'k', '--kill-after', '25d', '--', 'true'], '--kill-after: must be at most 24d, got "25d"'],
      [
        ['lock', 'k', '--wait', `${'9'.repeat(400)}`, '--', 'true'],
        `--wait: "${'9'.repeat(400)}" is too long`,
      ],
      [['dev', '--port', '70000'], '--port: must be between 0 and 65535, got 70000'],
      [['ls', 'a', '--limit', '00'], '--limit: must be at least 1, got 00'],
      [['watch', 'a/b', '--count', '0'], '--count: must be at least 1, got 0'],
      [['put', 'a/b', 'v', '--if-version', '0'], '--if-version: must be at least 1, got 0'],
      [['lock', 'k', '-n', '01001', '--', 'true'], '--permits: must be between 1 and 1000, got 01001'],
      [['holder', 'k', '-n', '1001'], '--permits: must be between 1 and 1000, got 1001'],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args, ...(args[0] === 'dev' ? [] : OFFLINE));
      expect(r, args.join(' ')).toMatchObject({ code: 2, stderr: `dynastore: ${message}\n` });
    }
    // the CLI's --lease limit is the library's
    expect(parseDuration('--lease', '7d', { maxMs: MAX_LEASE_MS })).toBe(MAX_LEASE_MS);
    expect(formatDuration(MAX_LEASE_MS)).toBe('7d');
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(1_500)).toBe('1.5s');
    expect(formatDuration(250)).toBe('250ms');
  });

  it('elect --id "" names --id', async () => {
    const r = await cli('elect', 'e', '--id', '', ...OFFLINE, '--', 'true');
    expect(r).toMatchObject({ code: 2, stderr: 'dynastore: --id: must not be empty\n' });
  });
});

describe('dynastore CLI: partition names with a slash', () => {
  it('formatAddress and parseAddress are inverses, whatever the partition holds', () => {
    const partitions = ['cfg', 'team/a', 'a/b/c', '50%off', '%2F', 'x%25y', '%', '%/', '%2/', 'é/ü', '/lead'];
    for (const partition of partitions) {
      for (const key of ['k', 'a/b', '%2F', '']) {
        const name = formatAddress(partition, key);
        expect(parseAddress(name, undefined, false), `${partition} ${key} -> ${name}`).toEqual({
          partition,
          key,
        });
      }
    }
    expect(formatAddress('team/a', 'k1')).toBe('team%2Fa/k1');
    expect(formatAddress('50%off', 'k')).toBe('50%off/k');
    expect(parseAddress('team%2fa/k1', undefined, true)).toEqual({ partition: 'team/a', key: 'k1' });
    expect(parseAddress('k1', 'team/a', true)).toEqual({ partition: 'team/a', key: 'k1' });
    expect(parseAddress(undefined, 'team/a', false)).toEqual({ partition: 'team/a', key: '' });
  });

  it('ls, rm and watch take -p alone; without -p or an argument, a usage error', async () => {
    for (const command of ['ls', 'rm', 'watch']) {
      const r = await cli(command, ...OFFLINE);
      expect(r, command).toMatchObject({
        code: 2,
        stderr: 'dynastore: missing argument: <partition>/<key>, or -p <partition>\n',
      });
    }
  });
});

describe('dynastore CLI: help text', () => {
  it('no command restates its summary in its description', () => {
    const words = (text: string) =>
      text
        .toLowerCase()
        .split(/\W+/)
        .filter((w) => w !== '' && !['a', 'an', 'the'].includes(w))
        .map((w, i) => (i === 0 ? w.replace(/s$/, '') : w));
    for (const c of commands) {
      const summary = words(c.summary).slice(0, 2).join(' ');
      const first = words(c.description ?? '')
        .slice(0, 2)
        .join(' ');
      expect(first, `${c.name}: "${c.summary}" / "${c.description}"`).not.toBe(summary);
    }
  });

  it('get --help says how text is printed, once', async () => {
    const help = (await cli('get', '--help')).stdout;
    expect(help).not.toMatch(/Prints the value\./);
    expect(help).toContain('"hi" prints hi and a newline, "hi\\n" prints hi and two newlines');
  });

  it('descriptions of options start in one column on each page (--version included)', async () => {
    const pages = [
      (await cli('--help')).stdout,
      ...(await Promise.all(commands.map(async (c) => (await cli(c.name, '--help')).stdout))),
    ];
    for (const page of pages) {
      const columns = new Set(
        page
          .split('\n')
          .filter((l) => /^ {2}(-\w, | {4})--/.test(l))
          .map((l) => /^ {2}(?:-\w, | {4})--\S+(?: <[^>]+>)? +/.exec(l)?.[0].length),
      );
      expect(columns.size, page).toBe(1);
    }
    expect((await cli('--help')).stdout).toMatch(/^ {6}--version +print the version$/m);
  });
});
