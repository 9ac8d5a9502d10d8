// The TypeScript of README.md and of every docs/*.md page must be true: every ```ts block
// type-checks against the sources (with the preamble of test/readme/scope.ts for the names
// snippets leave undefined), and every block marked ```ts runnable (memory backend) or ```ts runnable dynamodb (the run's DynamoDB Local)
// runs without throwing. A few blocks' comments promise results; those are checked below.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dynamoEndpoint } from '../support/dynamo.js';
import { tsBlocks } from './blocks.js';
import { blockId, markdownFiles, type PreparedBlock, ROOT, typeCheck } from './check.js';
import { loadBlock } from './run.js';
import { README_TABLE, readmeScope } from './scope.js';

/** The part of an AWS Lambda context the README's handler reads. */
interface LambdaContext {
  getRemainingTimeInMillis(): number;
  readonly awsRequestId: string;
}

const TMP = join(ROOT, 'test/readme/.tmp');
const files = markdownFiles();
const blocks = files.flatMap((file) => tsBlocks(readFileSync(join(ROOT, file), 'utf8'), file));

/** What some blocks' comments promise, checked on the block's top-level variables after it ran. */
const PROMISES: {
  readonly contains: string;
  /** `vars`: the block's top-level variables; `logged`: the lines it passed to the scope's `log`. */
  readonly check: (vars: Record<string, unknown>, logged: readonly string[]) => void | Promise<void>;
}[] = [
  {
    // the Lambda mutex handler: one invocation deposits once and returns the new balance
    contains: 'export async function handler(event: { account: string; amount: number }, context: Context)',
    check: async (vars) => {
      const handler = vars.handler as (
        event: { account: string; amount: number },
        context: LambdaContext,
      ) => Promise<{ balance: number; token: string }>;
      const context = { getRemainingTimeInMillis: () => 30_000, awsRequestId: 'readme-request' };
      const account = `readme-${Date.now()}`;
      expect((await handler({ account, amount: 5 }, context)).balance).toBe(5);
      expect((await handler({ account, amount: 2 }, context)).balance).toBe(7);
    },
  },
  {
    // the Lambda without timers: renews between steps, releases, and a second run gets the lock again
    contains: 'await lease.renew(); // one write; LeaseLostError if it was lost meanwhile',
    check: async (vars) => {
      const handler = vars.handler as () => Promise<{ skipped: boolean } | undefined>;
      expect(await handler()).toBeUndefined();
      expect(await handler()).toBeUndefined();
    },
  },
  {
    // the sessions snippet: leaving the block closes the session cleanly, which is no loss
    contains: "session.signal.addEventListener('abort', () => {",
    check: (_vars, logged) => {
      expect(logged.filter((line) => line.includes('session lost'))).toEqual([]);
    },
  },
  {
    // the watch testing snippet: "events: snapshot (absent), put, delete with cause 'expiry'"
    contains: "await clock.advance(2_000); // events: snapshot (absent), put, delete with cause 'expiry'",
    check: (vars) => {
      const events = vars.events as { type: string; cause: string }[];
      expect(events.map((e) => `${e.type}:${e.cause}`)).toEqual([
        'delete:snapshot',
        'put:write',
        'delete:expiry',
      ]);
    },
  },
];

const AWS_ENV = [
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'DYNASTORE_TABLE',
] as const;
const savedEnv = Object.fromEntries(AWS_ENV.map((k) => [k, process.env[k]]));

let prepared: PreparedBlock[];
let errors: Map<string, string[]>;

let endpoint: string;

beforeAll(async () => {
  endpoint = await dynamoEndpoint();
  // what the snippets print (console.log of values, watch events) is not test output
  vi.spyOn(console, 'log').mockImplementation(() => {});
  ({ prepared, errors } = typeCheck(ROOT, blocks));
  // `new DynamoDBClient({})` in a snippet reaches the run's DynamoDB Local
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'dynastore',
    AWS_SECRET_ACCESS_KEY: 'local',
    DYNASTORE_TABLE: README_TABLE,
  });
}, 60_000);

afterAll(() => {
  vi.restoreAllMocks();
  rmSync(TMP, { recursive: true, force: true });
  for (const k of AWS_ENV) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

describe('README.md and docs/*.md', () => {
  it('have TypeScript blocks, some of them runnable on each backend', () => {
    expect(files).toContain('docs/locks.md');
    expect(blocks.filter((b) => b.file === 'README.md').length).toBeGreaterThanOrEqual(3);
    expect(blocks.length).toBeGreaterThan(10);
    expect(blocks.some((b) => b.runOn === 'memory')).toBe(true);
    expect(blocks.some((b) => b.runOn === 'dynamodb')).toBe(true);
    for (const promise of PROMISES) expect(blocks.some((b) => b.code.includes(promise.contains))).toBe(true);
  });

  describe.each(blocks.map((b) => [blockId(b), b] as const))('block at %s', (id, block) => {
    it('type-checks against the sources', () => {
      expect(errors.get(id)).toEqual([]);
    });

    it.runIf(block.runOn)(
      `runs (${block.runOn ?? 'not marked runnable'})`,
      async () => {
        const p = prepared.find((x) => blockId(x.block) === id)!;
        const run = await loadBlock(ROOT, TMP, p);
        const target =
          block.runOn === 'dynamodb' ? { on: 'dynamodb' as const, endpoint } : { on: 'memory' as const };
        const { scope, close, logged } = await readmeScope(target, p.scopeNames);
        try {
          const vars = await run(scope);
          for (const promise of PROMISES)
            if (block.code.includes(promise.contains)) await promise.check(vars, logged);
        } finally {
          await close();
        }
      },
      60_000,
    );
  });
});

/** README.md, docs/*.md and every Markdown or TypeScript file under examples/ and demo/. */
function docsAndExamples(): { file: string; text: string }[] {
  const all = markdownFiles();
  for (const dir of ['examples', 'demo']) {
    for (const entry of readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })) {
      if (/\.(md|ts)$/.test(entry)) all.push(join(dir, entry));
    }
  }
  return all.map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));
}

describe('the CLI in a clone', () => {
  it('is always shown as `npm run -s dynastore --` (npm prints a banner on stdout without -s)', () => {
    const loud = docsAndExamples().flatMap(({ file, text }) =>
      text
        .split('\n')
        .map((line, i) => ({ where: `${file}:${i + 1}`, line }))
        .filter(
          ({ line }) =>
            /npm run (?!-s )[^`\n]*\bdynastore\b/.test(line) ||
            (/npx dynastore/.test(line) && !files.includes(file)),
        ),
    );
    expect(loud).toEqual([]);
  });

  it("`npm run -s dynastore -- ...` prints only the command's output on stdout", async () => {
    const { stdout } = await promisify(execFile)('npm', ['run', '-s', 'dynastore', '--', '--version'], {
      cwd: ROOT,
    });
    expect(stdout).toBe(`${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`);
  });
});
