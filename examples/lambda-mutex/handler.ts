/**
 * Mutual exclusion in an AWS Lambda handler: concurrent invocations that touch the same account
 * take turns. Lambda freezes the process between invocations, so there are no heartbeats
 * (`heartbeatMs: false`); instead the lease lasts until the invocation's own deadline, after which
 * the function cannot be running anyway. The write is fenced: DynamoDB applies it only while this
 * invocation's lease is still the current one.
 *
 * Deploy as is (with DYNASTORE_TABLE set); run locally with `npm run example:lambda`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Dynastore, LockTimeoutError } from '../../src/index.js';

/** The part of the Lambda context this handler uses. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  readonly awsRequestId: string;
}

/** Adds `amount` to an account's balance. */
export interface DepositEvent {
  readonly account: string;
  readonly amount: number;
}

export type DepositResult =
  | { readonly ok: true; readonly balance: number; readonly token: string }
  | { readonly ok: false; readonly reason: 'busy' };

// Created once per Lambda container and reused by every invocation it serves.
const store = new Dynastore({
  client: new DynamoDBClient({}),
  tableName: process.env.DYNASTORE_TABLE ?? 'dynastore',
});
const accounts = store.partition('accounts');
/** Time kept back for releasing the lock and returning. */
const SAFETY_MS = 500;

export async function handler(event: DepositEvent, context: LambdaContext): Promise<DepositResult> {
  // Half the time left to wait for the lock, half to hold it: the lease runs from its grant, so
  // it ends before this invocation must have ended.
  const halfMs = Math.floor((context.getRemainingTimeInMillis() - SAFETY_MS) / 2);
  const lock = store.lock(`accounts/${event.account}`, {
    leaseMs: halfMs,
    heartbeatMs: false, // no timers: Lambda may freeze the process at any moment
    maxClockSkewMs: 200,
    owner: context.awsRequestId,
  });
  let lease: Awaited<ReturnType<typeof lock.acquire>>;
  try {
    lease = await lock.acquire({ waitMs: halfMs });
  } catch (err) {
    if (err instanceof LockTimeoutError) return { ok: false, reason: 'busy' };
    throw err;
  }
  try {
    const current = await accounts.get(event.account);
    const balance = (current ? Number(current.text()) : 0) + event.amount;
    // Fenced: refused (FencedError) if the lease ran out and someone else holds the lock now.
    await accounts.put(event.account, String(balance), { fence: lease });
    return { ok: true, balance, token: lease.token.toString() };
  } finally {
    await lease.release();
  }
}
