import { readdirSync, readlinkSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dynastore } from '../../src/facade/dynastore.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { bundleCli, type CliResult, cliEnv, type RunningCli, removeCliBundle, startCli } from './run-cli.js';

/**
 * How soon the CLI must be gone once its work is over. It used to take 2 s (the Streams poller's
 * linger held the event loop); flock and etcdctl exit at once. Generous for a loaded machine.
 */
const PROMPT_MS = 1_200;

/**
 * Resolves once the CLI has opened a connection to DynamoDB (a socket besides its stdio): it
 * handles SIGINT and SIGTERM itself by then (the runner installs its handlers before connecting).
 */
async function connected(cli: RunningCli): Promise<void> {
  const fds = `/proc/${cli.proc.pid}/fd`;
  const hasSocket = () =>
    readdirSync(fds).some((fd) => Number(fd) > 2 && readlinkSafe(`${fds}/${fd}`).startsWith('socket:'));
  const start = performance.now();
  while (!hasSocket()) {
    if (performance.now() - start > 15_000) throw new Error(`no connection within 15 s: ${cli.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function readlinkSafe(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return ''; // closed meanwhile
  }
}

/** Sends `sig` once `ready` matches, and measures how long the process takes to be gone. */
async function interrupt(cli: RunningCli, ready: RegExp, sig: NodeJS.Signals) {
  await cli.waitFor(ready);
  const sent = performance.now();
  cli.proc.kill(sig);
  const r = await cli.done;
  return { ...r, afterSignalMs: performance.now() - sent };
}

/** Resolves once stderr holds `pattern`, and measures from then until the process is gone. */
async function exitAfterStderr(cli: RunningCli, pattern: RegExp): Promise<CliResult & { afterMs: number }> {
  let seenAt: number | undefined;
  const poll = setInterval(() => {
    if (seenAt === undefined && pattern.test(cli.stderr())) seenAt = performance.now();
  }, 5);
  try {
    const r = await cli.done;
    seenAt ??= performance.now();
    return { ...r, afterMs: performance.now() - seenAt };
  } finally {
    clearInterval(poll);
  }
}

describe('dynastore CLI: exits as soon as it is done, with the documented codes', {
  timeout: 120_000,
}, () => {
  let t: DynamoTable;
  let env: NodeJS.ProcessEnv;
  let store: Dynastore;
  beforeAll(async () => {
    [t] = await Promise.all([useDynamoTable(), bundleCli()]);
    env = cliEnv(t.endpoint, t.tableName);
    store = new Dynastore({ client: t.client as DynamoDBClient, tableName: t.tableName });
  });
  afterAll(() => Promise.all([t.cleanup(), removeCliBundle()]));

  it('a waiting lock exits at once on SIGINT (130) and SIGTERM (143)', async () => {
    const held = await store.lock('exit/held', { owner: 'holder' }).acquire();
    try {
      for (const [sig, code] of [
        ['SIGINT', 130],
        ['SIGTERM', 143],
      ] as const) {
        const cli = startCli(['lock', 'exit/held', '--', 'true'], env);
        await connected(cli);
        await new Promise((resolve) => setTimeout(resolve, 500)); // waiting by then, its feed running
        const sent = performance.now();
        cli.proc.kill(sig);
        const r = await cli.done;
        const afterSignalMs = performance.now() - sent;
        expect(r.code, `${sig}: ${r.signal} ${r.stderr}`).toBe(code);
        expect(afterSignalMs, sig).toBeLessThan(PROMPT_MS);
      }
    } finally {
      await held.release();
    }
  });

  it('lock --wait gives up (exit 5) and is gone at once afterwards', async () => {
    const held = await store.lock('exit/wait', { owner: 'holder' }).acquire();
    try {
      const cli = startCli(['lock', 'exit/wait', '--wait', '1.5', '--', 'true'], env);
      const r = await exitAfterStderr(cli, /not acquired within/);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toMatch(/not acquired within 1\d{3} ms \(held by "holder"\)/);
      expect(r.afterMs).toBeLessThan(PROMPT_MS);
    } finally {
      await held.release();
    }
  });

  it('watch exits at once on SIGINT (130) and SIGTERM (143), and after --count with 0', async () => {
    for (const [sig, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const r = await interrupt(startCli(['watch', 'exit/a'], env), /snapshot/, sig);
      expect(r.code, `${sig}: ${r.stderr}`).toBe(code);
      expect(r.stdout).toBe('exit/a is absent (snapshot)\n');
      expect(r.afterSignalMs, sig).toBeLessThan(PROMPT_MS);
    }
    const counted = startCli(['watch', 'exit/b', '--count', '2'], env);
    await counted.waitFor(/snapshot/);
    await store.partition('exit').put('b', 'v');
    let printedAt = 0;
    await counted.waitFor(/= "v"/).then(() => {
      printedAt = performance.now();
    });
    const r = await counted.done;
    expect(r.code, r.stderr).toBe(0);
    expect(performance.now() - printedAt).toBeLessThan(PROMPT_MS);
  });

  it('leader --follow exits at once on SIGINT (130) and SIGTERM (143)', async () => {
    for (const [sig, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const r = await interrupt(startCli(['leader', 'exit-e', '--follow'], env), /^-$/, sig);
      expect(r.code, `${sig}: ${r.stderr}`).toBe(code);
      expect(r.stdout).toBe('-\n');
      expect(r.afterSignalMs, sig).toBeLessThan(PROMPT_MS);
    }
  });

  it('lock exits at once when its command exits after a signal, and the lock is free', async () => {
    const cli = startCli(
      [
        'lock',
        'exit/run',
        '--',
        process.execPath,
        '-e',
        'console.log("running"); setInterval(() => {}, 1000)',
      ],
      env,
    );
    const r = await interrupt(cli, /running/, 'SIGINT');
    expect(r.code).toBe(130); // the command's own: 128 + SIGINT
    expect(r.afterSignalMs).toBeLessThan(PROMPT_MS);
    expect(await store.lock('exit/run').holder()).toBeUndefined();
  });
});
