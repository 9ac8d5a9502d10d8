import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { bundleCli, cliEnv, removeCliBundle, runCli } from './run-cli.js';

// Each step spawns the CLI (about a second on a loaded machine): generous per-test time.
describe('dynastore CLI: error messages speak of flags and say what to do', { timeout: 120_000 }, () => {
  let t: DynamoTable;
  let env: NodeJS.ProcessEnv;
  const otherSchema = `cli-other-schema-${process.pid}`;
  const noStream = `cli-no-stream-${process.pid}`;
  beforeAll(async () => {
    [t] = await Promise.all([useDynamoTable(), bundleCli()]);
    env = cliEnv(t.endpoint, t.tableName);
    await t.client.send(
      new CreateTableCommand({
        TableName: otherSchema,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await t.client.send(
      new CreateTableCommand({
        TableName: noStream,
        KeySchema: [
          { AttributeName: 'id', KeyType: 'HASH' },
          { AttributeName: 'name', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: 'name', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  });
  afterAll(async () => {
    for (const TableName of [otherSchema, noStream])
      await t.client.send(new DeleteTableCommand({ TableName })).catch(() => {});
    await Promise.all([t.cleanup(), removeCliBundle()]);
  });

  it('a table with another key schema: get, put, rm and ls say what differs, as init does', async () => {
    for (const args of [
      ['get', 'a/b'],
      ['put', 'a/b', 'v'],
      ['rm', 'a/b'],
      ['ls', 'a'],
    ]) {
      const r = await runCli([...args, '--table', otherSchema], env);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(
        new RegExp(`^dynastore: table "${otherSchema}" does not have the dynastore key schema: .*pk.*\n$`),
      );
    }
    const init = await runCli(['init', '--table', otherSchema], env);
    expect(init.code).toBe(1);
    expect(init.stderr).toMatch(/does not have the dynastore key schema/);
  });

  it('a table without a stream: watch and leader --follow suggest dynastore init; lock works without one', async () => {
    for (const args of [
      ['watch', 'a/b'],
      ['leader', 'e', '--follow'],
    ]) {
      const r = await runCli([...args, '--table', noStream], env);
      expect(r, args.join(' ')).toMatchObject({
        code: 1,
        stderr: `dynastore: table "${noStream}" has no DynamoDB stream with new and old images, which this command needs: run \`dynastore init\` to turn it on\n`,
      });
    }
    const lock = await runCli(
      ['lock', 'k', '--wait', '5s', '--table', noStream, '--', 'echo', 'locked'],
      env,
    );
    expect(lock).toMatchObject({ code: 0, stdout: 'locked\n' });
  });

  it('an endpoint answering HTTP 404 is not DynamoDB; dev on a busy port suggests --port 0', async () => {
    const server: Server = createServer((_req, res) => {
      res.statusCode = 404;
      res.end('<html>not here</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const endpoint = `http://127.0.0.1:${port}`;
      const r = await runCli(['get', 'a/b', '--endpoint', endpoint], env);
      expect(r).toMatchObject({
        code: 1,
        stderr: `dynastore: ${endpoint} answered HTTP 404: it is not DynamoDB (check --endpoint / AWS_ENDPOINT_URL_DYNAMODB)\n`,
      });
      const dev = await runCli(['dev', '--port', String(port)], env);
      expect(dev).toMatchObject({
        code: 1,
        stderr: `dynastore: port ${port} is already in use: pass --port 0 for a free port, or --port <another>\n`,
      });
    } finally {
      server.close();
    }
  });

  it('values the library refuses are reported with the flag that set them (exit 2)', async () => {
    const cases: [string[], string][] = [
      [['put', 'a/b', 'v', '--ttl', '0'], '--ttl: must be more than 0, got "0"'],
      [
        ['lock', 'k', '--lease', '100ms', '--max-clock-skew', '1s', '--', 'true'],
        '--max-clock-skew: must be below --lease (1000 >= 100)',
      ],
      [
        ['lock', 'k', '--lease', '1ms', '--', 'true'],
        '--lease: too short (pollMs must be at least 1, got 0.25)',
      ],
      [['elect', 'e', '--lease', '0', '--', 'true'], '--lease: must be more than 0, got "0"'],
      [['lock', 'k', '--owner', '', '--', 'true'], '--owner: must not be empty'],
      [['lock', 'k', '-n', '2000', '--', 'true'], '--permits: must be between 1 and 1000, got 2000'],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, env);
      expect(r, args.join(' ')).toMatchObject({ code: 2, stderr: `dynastore: ${message}\n` });
    }
  });

  it('durations: a bare number is seconds, compound units work, negative and malformed ones are explained', async () => {
    const ttlOf = async (ttl: string) => {
      const before = Date.now();
      const r = await runCli(['put', `ttl/${ttl}`, 'v', '--ttl', ttl, '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      return (Date.parse(JSON.parse(r.stdout).expiresAt) - before) / 1000;
    };
    // expiry is stored in whole seconds, rounded up
    expect(await ttlOf('60')).toBeGreaterThan(59);
    expect(await ttlOf('60')).toBeLessThan(90);
    expect(await ttlOf('1h30m')).toBeGreaterThan(5_399);
    expect(await ttlOf('1h30m')).toBeLessThan(5_430);
    expect(await ttlOf('1d')).toBeGreaterThan(86_399);
    expect(await ttlOf('2.5s')).toBeLessThan(30);
    const bad: [string[], string][] = [
      [['put', 'a/b', 'v', '--ttl', '-5'], '--ttl: must not be negative, got "-5"'],
      [['put', 'a/b', 'v', '--ttl=-1h'], '--ttl: must not be negative, got "-1h"'],
      [['lock', 'k', '--wait', '-1s', '--', 'true'], '--wait: must not be negative, got "-1s"'],
      [['lock', 'k', '--lease', '-2', '--', 'true'], '--lease: must not be negative, got "-2"'],
      [['elect', 'e', '--kill-after', '-1', '--', 'true'], '--kill-after: must not be negative, got "-1"'],
      [
        ['elect', 'e', '--max-clock-skew', '-.5', '--', 'true'],
        '--max-clock-skew: must not be negative, got "-.5"',
      ],
      [['ls', 'a', '--limit', '-3'], '--limit: must be at least 1, got -3'],
      [['lock', 'k', '-n', '-1', '--', 'true'], '--permits: must be between 1 and 1000, got -1'],
      [
        ['put', 'a/b', 'v', '--ttl', '60x'],
        '--ttl: "60x" is not a duration: write a number of seconds (90, 2.5) or amounts with units ms, s, m, h, d, combined (500ms, 1h30m, 1d)',
      ],
      [['put', 'a/b', 'v', '--ttl', '5000d'], '--ttl: must be at most 3650d, got "5000d"'],
    ];
    for (const [args, message] of bad) {
      const r = await runCli(args, env);
      expect(r, args.join(' ')).toMatchObject({ code: 2, stderr: `dynastore: ${message}\n` });
    }
    const help = await runCli(['--help'], env);
    expect(help.stdout).toContain('Durations (--ttl, --lease, --wait, ...): a number of seconds (90, 2.5)');
    for (const command of ['put', 'lock', 'elect']) {
      expect((await runCli([command, '--help'], env)).stdout).toMatch(/A duration is a number of seconds/);
    }
  });
});
