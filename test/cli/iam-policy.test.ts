import { describe, expect, it } from 'vitest';
import { iamPolicy } from '../../src/dynamodb/iam-policy.js';
import { cliEnv, runCli } from './run-cli.js';

// No DynamoDB: iam-policy only prints. The endpoint in the environment is never called.
const env = cliEnv('http://127.0.0.1:9', 'from-env');

describe('dynastore iam-policy', { timeout: 60_000 }, () => {
  it("prints the library's policy for the flags, as JSON, and calls nothing", async () => {
    const r = await runCli(
      [
        'iam-policy',
        '--table',
        'jobs',
        '--region',
        'eu-west-1',
        '--account',
        '123456789012',
        '--prefix',
        't1/',
      ],
      env,
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(
      iamPolicy({ tableName: 'jobs', region: 'eu-west-1', account: '123456789012', prefix: 't1/' }),
    );
    const bare = await runCli(['iam-policy', '--no-watch', '--no-create'], env);
    expect(JSON.parse(bare.stdout)).toEqual(
      iamPolicy({ tableName: 'from-env', watch: false, create: false }),
    );
    expect(bare.stdout).not.toContain('stream');
  });

  it('names the flag in a bad value, exit code 2', async () => {
    const r = await runCli(['iam-policy', '--table', 'jobs', '--account', '42'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dynastore: --account: must be a 12-digit account id/);
    const prefix = await runCli(['iam-policy', '--prefix', 'a*'], env);
    expect(prefix.code).toBe(2);
    expect(prefix.stderr).toMatch(/--prefix: must not contain \*/);
  });
});
