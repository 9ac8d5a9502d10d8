import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTION_TIMEOUT_MS, connect } from '../../src/cli/connect.js';
import { bundleCli, cliEnv, type RunningCli, removeCliBundle, runCli, startCli } from './run-cli.js';

// The real CLI against a port nothing listens on: a connection error, reported as such (exit 1
// with the endpoint hint), never as "outcome unknown", "not acquired" or silence. Time bounds are
// generous: they only catch hangs.

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Resolves with the time (ms after `since`) at which stderr matched `pattern`; kills the CLI when it never does. */
function stderrMatch(cli: RunningCli, pattern: RegExp, since: number, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (pattern.test(cli.stderr())) {
        clearInterval(timer);
        resolve(performance.now() - since);
      } else if (performance.now() - since > timeoutMs || cli.proc.exitCode !== null) {
        clearInterval(timer);
        cli.proc.kill('SIGKILL'); // leave nothing running behind a failed test
        reject(new Error(`stderr never matched ${pattern} (exit ${cli.proc.exitCode}): ${cli.stderr()}`));
      }
    }, 50);
  });
}

const ran = [process.execPath, '-e', 'console.log("the command ran")'];

describe('dynastore CLI against a dead endpoint', () => {
  let env: NodeJS.ProcessEnv;
  let endpoint: string;
  let hint: RegExp;
  const stillTrying = / \(still trying\)$/m;
  beforeAll(async () => {
    const [port] = await Promise.all([closedPort(), bundleCli()]);
    endpoint = `http://127.0.0.1:${port}`;
    env = cliEnv(endpoint, 'unreachable-table');
    hint = new RegExp(
      `^dynastore: nothing answers at ${endpoint.replace(/[.]/g, '\\.')} \\(connection refused, ECONNREFUSED\\): the request never reached DynamoDB; is \`dynastore dev\` running`,
      'm',
    );
  });
  afterAll(() => removeCliBundle());

  it('put, rm and get: exit 1 with the hint, not "outcome unknown"', async () => {
    for (const args of [
      ['put', 'p/k', 'v'],
      ['rm', 'p/k'],
      ['get', 'p/k'],
      ['put', 'p/k', 'v', '--if-absent'],
    ]) {
      const r = await runCli(args, env);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(hint);
      expect(r.stderr).not.toMatch(/outcome unknown/);
    }
  });

  it('lock --wait 3s exits 1 with the hint (not 5, "not acquired"), and never runs the command', async () => {
    const started = performance.now();
    const r = await runCli(['lock', 'jobs/a', '--wait', '3s', '--', ...ran], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(hint);
    expect(r.stderr).not.toMatch(/not acquired|is held/);
    expect(r.stdout).toBe('');
    expect(performance.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(performance.now() - started).toBeLessThan(60_000);
    const now = await runCli(['lock', 'jobs/a', '--no-wait', '-v', '--', ...ran], env);
    expect(now.code).toBe(1);
    expect(now.stderr).toMatch(hint);
    expect(now.stderr).not.toMatch(stillTrying); // --no-wait tries once: nothing to keep trying
  });

  it('lock -v prints the hint at once and keeps trying', async () => {
    const started = performance.now();
    const cli = startCli(['lock', 'jobs/a', '-v', '--', ...ran], env);
    await stderrMatch(cli, stillTrying, started);
    expect(cli.stderr()).toMatch(hint);
    expect(cli.proc.exitCode).toBeNull(); // still waiting for the endpoint
    cli.proc.kill('SIGTERM');
    const r = await cli.done;
    expect(r.code).toBe(143);
    expect(r.stdout).toBe('');
  });

  it('elect without --wait gives up with exit 1 and the hint once every call failed for 30 s', {
    timeout: 150_000,
  }, async () => {
    const started = performance.now();
    const cli = startCli(['elect', 'scheduler', '--', ...ran], env);
    const killer = setTimeout(() => cli.proc.kill('SIGKILL'), 120_000); // a hang fails, and leaves nothing behind
    const r = await cli.done;
    clearTimeout(killer);
    const ms = performance.now() - started;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(hint);
    expect(r.stderr).not.toMatch(stillTrying); // no -v: one line, at the end
    expect(r.stdout).toBe('');
    expect(ms).toBeGreaterThanOrEqual(30_000);
    expect(ms).toBeLessThan(120_000);
  });

  it('watch and leader --follow report the dead endpoint at once', async () => {
    for (const args of [
      ['watch', 'p/k'],
      ['leader', 'scheduler', '--follow'],
    ]) {
      const started = performance.now();
      const cli = startCli(args, env);
      await stderrMatch(cli, stillTrying, started);
      expect(cli.stderr(), args.join(' ')).toMatch(hint);
      cli.proc.kill('SIGTERM');
      await cli.done;
    }
  });

  it('gives up a connection attempt to a silent host after CONNECTION_TIMEOUT_MS, not after the system connect timeout of minutes', async () => {
    const conn = await connect({ endpoint }, {});
    try {
      // the Node HTTP handler resolves its options (an SDK internal, checked here on purpose)
      const handler = conn.client.config.requestHandler as unknown as {
        configProvider: Promise<{ connectionTimeout?: number }>;
      };
      expect((await handler.configProvider).connectionTimeout).toBe(CONNECTION_TIMEOUT_MS);
    } finally {
      await conn.close();
    }
  });

  it('leader (one read) exits 1 with the hint', async () => {
    const r = await runCli(['leader', 'scheduler'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(hint);
    expect(r.stderr).not.toMatch(stillTrying);
  });
});
