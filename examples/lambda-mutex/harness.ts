/**
 * A tiny local harness for `handler.ts`: invokes it many times concurrently, as Lambda would
 * under load, each with a context whose deadline is a few seconds away, and checks that no deposit
 * was lost.
 *
 *   npm run example:lambda                 # embedded DynamoDB Local, or AWS_ENDPOINT_URL_DYNAMODB
 *
 * Environment: INVOCATIONS (default 20), TIMEOUT_MS (the simulated function timeout, default 30000).
 */
import { randomUUID } from 'node:crypto';
import { connectFromEnv } from '../shared/connect.js';
import type { DepositResult, LambdaContext } from './handler.js';

const invocations = Number(process.env.INVOCATIONS ?? 20);
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 30_000);

// Before the handler module loads: it builds its client from the environment, as on Lambda.
const { store, endpoint, close } = await connectFromEnv();
if (endpoint) process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
const { handler } = await import('./handler.js');

const account = `acct-${randomUUID().slice(0, 8)}`;
const contextFor = (): LambdaContext => {
  const deadline = Date.now() + timeoutMs;
  return { awsRequestId: randomUUID(), getRemainingTimeInMillis: () => deadline - Date.now() };
};

console.log(`invoking the handler ${invocations} times at once, each depositing 1 into ${account}`);
const started = performance.now();
const results: DepositResult[] = await Promise.all(
  Array.from({ length: invocations }, () => handler({ account, amount: 1 }, contextFor())),
);
const ms = Math.round(performance.now() - started);
const ok = results.filter((r) => r.ok === true);
const tokens = ok.map((r) => BigInt(r.token)).sort((a, b) => (a < b ? -1 : 1));
const final = Number((await store.partition('accounts').get(account))?.text() ?? 0);
console.log(`${ok.length} deposits done, ${results.length - ok.length} gave up (busy), in ${ms} ms`);
console.log(`fencing tokens: ${tokens.length} distinct grants, ${tokens[0]} .. ${tokens.at(-1)}`);
console.log(
  `final balance: ${final} (expected ${ok.length}): ${final === ok.length ? 'no deposit lost' : 'LOST DEPOSITS'}`,
);
await close();
process.exitCode = final === ok.length && new Set(tokens).size === tokens.length ? 0 : 1;
