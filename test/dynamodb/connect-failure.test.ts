import { createServer } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/contract/backend.js';
import type { LeaseLostError } from '../../src/contract/errors/lock.js';
import { AmbiguousWriteError, BackendError } from '../../src/contract/errors/store.js';
import { connectFailureReason, isConnectFailure, wrapAwsError } from '../../src/dynamodb/errors.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';

// A request that fails to connect never reached DynamoDB: the SDK may resend it (the resend guard
// lets it), and what is left is an unambiguous, `unreachable` BackendError naming the endpoint.
// Real SDK against a closed local port; fault injection (an SDK middleware where the request
// would go on the wire) only for the shapes a closed port cannot produce.

/** A port nothing listens on: bound by the OS, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Node's error objects, shaped as `net` / `dns` / the Node HTTP handler raise them. */
const sysError = (message: string, fields: Record<string, unknown>) =>
  Object.assign(new Error(message), fields);
const refused = (address = '127.0.0.1') =>
  sysError(`connect ECONNREFUSED ${address}:9`, {
    code: 'ECONNREFUSED',
    errno: -111,
    syscall: 'connect',
    address,
    port: 9,
  });
const shapes = {
  refused: refused(),
  notFound: sysError('getaddrinfo ENOTFOUND ddb.invalid', {
    code: 'ENOTFOUND',
    syscall: 'getaddrinfo',
    hostname: 'ddb.invalid',
  }),
  dnsAgain: sysError('getaddrinfo EAI_AGAIN ddb.example', {
    code: 'EAI_AGAIN',
    syscall: 'getaddrinfo',
    hostname: 'ddb.example',
  }),
  hostUnreachable: sysError('connect EHOSTUNREACH 10.1.2.3:443', {
    code: 'EHOSTUNREACH',
    syscall: 'connect',
    address: '10.1.2.3',
    port: 443,
  }),
  netUnreachable: sysError('connect ENETUNREACH 10.1.2.3:443', {
    code: 'ENETUNREACH',
    syscall: 'connect',
    address: '10.1.2.3',
    port: 443,
  }),
  // the system's own connect timeout; the handler renames ETIMEDOUT errors to TimeoutError
  connectTimedOut: sysError('connect ETIMEDOUT 10.1.2.3:443', {
    code: 'ETIMEDOUT',
    syscall: 'connect',
    name: 'TimeoutError',
  }),
  handlerConnectTimeout: sysError(
    '@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 1000 ms.',
    { name: 'TimeoutError' },
  ),
  // Happy Eyeballs (autoSelectFamily): every address refused
  allRefused: Object.assign(new AggregateError([refused('::1'), refused()], ''), { code: 'ECONNREFUSED' }),
};
const sentShapes = {
  reset: sysError('read ECONNRESET', { code: 'ECONNRESET', syscall: 'read', name: 'TimeoutError' }),
  hangUp: sysError('socket hang up', { code: 'ECONNRESET' }),
  requestTimeout: sysError(
    '@smithy/node-http-handler - [ERROR] a request has exceeded the configured 1000 ms requestTimeout.',
    {
      code: 'ETIMEDOUT',
      name: 'TimeoutError',
    },
  ),
  socketTimeout: sysError(
    '@smithy/node-http-handler - the request socket timed out after 1000 ms of inactivity',
    {
      name: 'TimeoutError',
    },
  ),
  brokenPipe: sysError('write EPIPE', { code: 'EPIPE', syscall: 'write', name: 'TimeoutError' }),
  unreachableMidStream: sysError('read EHOSTUNREACH', { code: 'EHOSTUNREACH', syscall: 'read' }),
  someRefused: Object.assign(
    new AggregateError(
      [refused('::1'), sysError('read ECONNRESET', { code: 'ECONNRESET', syscall: 'read' })],
      '',
    ),
    {
      code: 'ECONNREFUSED',
    },
  ),
  serverError: Object.assign(new Error('InternalServerError'), {
    name: 'InternalServerError',
    $metadata: { httpStatusCode: 500 },
  }),
};

describe('which errors are connect failures', () => {
  it.each(Object.entries(shapes))('%s: never sent', (_name, err) => {
    expect(isConnectFailure(err)).toBe(true);
    const wrapped = wrapAwsError('UpdateItem', err, 'https://dynamodb.eu-west-1.amazonaws.com');
    expect(wrapped).toMatchObject({ unreachable: true, ambiguous: false, retryable: true, cause: err });
    expect(wrapped.message).toMatch(
      /^UpdateItem: nothing answers at https:\/\/dynamodb\.eu-west-1\.amazonaws\.com \(.+\): the request never reached DynamoDB$/,
    );
    expect(isConnectFailure(wrapped)).toBe(true);
  });

  it.each(Object.entries(sentShapes))('%s: may have been sent, so not one', (_name, err) => {
    expect(isConnectFailure(err)).toBe(false);
    expect(wrapAwsError('UpdateItem', err).unreachable).toBe(false);
  });

  it('says why in a few words, with the system code', () => {
    expect(connectFailureReason(shapes.refused)).toBe('connection refused, ECONNREFUSED');
    expect(connectFailureReason(shapes.notFound)).toBe('host name not found, ENOTFOUND');
    expect(connectFailureReason(shapes.hostUnreachable)).toBe('host unreachable, EHOSTUNREACH');
    expect(connectFailureReason(shapes.allRefused)).toBe('connection refused, ECONNREFUSED');
    expect(connectFailureReason(sentShapes.reset)).toBeUndefined();
    // without the request's URL, the address from the error
    expect(wrapAwsError('GetItem', shapes.notFound).message).toContain('nothing answers at ddb.invalid');
    expect(wrapAwsError('GetItem', shapes.refused).message).toContain('nothing answers at 127.0.0.1:9');
  });
});

let t: DynamoTable;
let deadPort: number;
const clients: DynamoDBClient[] = [];
beforeAll(async () => {
  t = await useDynamoTable();
  deadPort = await closedPort();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await t?.cleanup();
});

function storeAt(endpoint: string, events: CallEvent[] = []) {
  const client = localDynamoClient(endpoint, { maxAttempts: 3 });
  clients.push(client);
  return {
    client,
    store: new Dynastore({
      client,
      tableName: t.tableName,
      onCall: (e) => events.push(e),
      legacyLayoutCheckMs: false,
    }),
  };
}

/**
 * `resent`: the SDK's retries are on (3 attempts); a long outage spends the client's retry quota
 * (each retry costs 14 of 500 tokens), after which the SDK sends once and the waiting is ours.
 */
function expectUnreachable(err: unknown, endpoint: string, operation: string, resent = true): void {
  expect(err).toBeInstanceOf(BackendError);
  const e = err as BackendError;
  expect(e).toMatchObject({ operation, unreachable: true, ambiguous: false, retryable: true });
  expect(e.message).toContain(`nothing answers at ${endpoint} (connection refused, ECONNREFUSED)`);
  const cause = e.cause as { code?: string; $metadata?: { attempts?: number } };
  expect(cause.code).toBe('ECONNREFUSED');
  if (resent) expect(cause.$metadata?.attempts).toBe(3); // the SDK resent it, as it resends throttled calls
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('against a closed port (real SDK)', () => {
  it('put, atomicPut, delete, atomicDelete and fenced writes: an unambiguous BackendError, no read-back', async () => {
    const live = storeAt(t.endpoint).store;
    const pair = await live.partition('p').put('k', 'v1');
    const lease = await live.lock('fence', { leaseMs: 5_000, maxClockSkewMs: 100 }).acquire();
    const endpoint = `http://127.0.0.1:${deadPort}`;
    const events: CallEvent[] = [];
    const kv = storeAt(endpoint, events).store.partition('p');
    const cases: [string, () => Promise<unknown>, string][] = [
      ['put', () => kv.put('k', 'v2'), 'UpdateItem'],
      // a conditional write first learns the table's mode (DescribeTable), which fails first here
      ['atomicPut (create)', () => kv.atomicPut('new', 'v'), 'DescribeTable'],
      ['atomicPut (CAS)', () => kv.atomicPut('k', 'v2', { previous: pair }), 'DescribeTable'],
      ['delete', () => kv.delete('k'), 'DeleteItem'],
      ['atomicDelete', () => kv.atomicDelete('k', pair), 'DescribeTable'],
      ['fenced put', () => kv.put('k', 'v2', { fence: lease }), 'DescribeTable'],
      ['fenced delete', () => kv.delete('k', { fence: lease }), 'DescribeTable'],
      ['get', () => kv.get('k'), 'GetItem'],
    ];
    for (const [what, call, operation] of cases) {
      events.length = 0;
      const err = await failure(call());
      expect(err, what).not.toBeInstanceOf(AmbiguousWriteError);
      expectUnreachable(err, endpoint, operation);
      expect(
        events.map((e) => e.operation),
        what,
      ).toEqual([operation]); // the failed call only: nothing to settle by reading
    }
    expect((await live.partition('p').get('k'))?.text()).toBe('v1');
    await lease.release();
  });

  it('lock and semaphore grants: the error at once from tryAcquire, without a read-back', async () => {
    const endpoint = `http://127.0.0.1:${deadPort}`;
    const events: CallEvent[] = [];
    const { store } = storeAt(endpoint, events);
    // the grant's first call is the look-up of the table's mode (DescribeTable, once per store)
    expectUnreachable(await failure(store.lock('job').tryAcquire()), endpoint, 'DescribeTable');
    expect(events.map((e) => e.operation)).toEqual(['DescribeTable']);
    expectUnreachable(
      await failure(store.semaphore('pool', { permits: 2 }).tryAcquire()),
      endpoint,
      'DescribeTable',
    );
    expectUnreachable(await failure(store.election('e').tryCampaign('node-1')), endpoint, 'DescribeTable');
  });

  it('a waiting acquire gives up with it after maxOutageMs (and a short waitMs ends with it too)', async () => {
    const endpoint = `http://127.0.0.1:${deadPort}`;
    const { store } = storeAt(endpoint);
    const started = performance.now();
    const err = await failure(store.lock('job', { maxOutageMs: 1_000 }).acquire());
    expectUnreachable(err, endpoint, 'DescribeTable', false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(performance.now() - started).toBeLessThan(15_000);
    expectUnreachable(
      await failure(store.lock('job').acquire({ waitMs: 500 })),
      endpoint,
      'DescribeTable',
      false,
    );
    expectUnreachable(
      await failure(store.election('e', { maxOutageMs: 500 }).campaign('n1')),
      endpoint,
      'DescribeTable',
      false,
    );
  });

  it('renewals and releases of a lease whose store went away: unreachable, never "outcome unknown"', async () => {
    // The same client, its requests redirected to the closed port while `down`.
    const events: CallEvent[] = [];
    const { client, store } = storeAt(t.endpoint, events);
    let down = false;
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = (args as { request?: { hostname?: string; port?: number } }).request;
        if (down && request) {
          request.hostname = '127.0.0.1';
          request.port = deadPort;
        }
        return next(args);
      },
      { step: 'build', name: 'redirectToClosedPort' },
    );
    const timing = { leaseMs: 1_500, heartbeatMs: 300, maxClockSkewMs: 100 };
    const renewing = await store.lock('renew', timing).acquire();
    const released = await store.lock('release', timing).acquire();
    down = true;
    events.length = 0;
    const releaseError = await failure(released.release());
    expect(releaseError).toBeInstanceOf(BackendError);
    expect(releaseError).toMatchObject({ unreachable: true, ambiguous: false });
    expect((releaseError as BackendError).message).toContain(
      `nothing answers at http://127.0.0.1:${deadPort}`,
    );
    const lost = await new Promise<LeaseLostError>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the lease was not lost in time')), 15_000);
      const done = () => {
        clearTimeout(timer);
        resolve(renewing.signal.reason as LeaseLostError);
      };
      if (renewing.signal.aborted) done();
      else renewing.signal.addEventListener('abort', done, { once: true });
    });
    expect(lost.reason).toBe('expired');
    expect(lost.cause).toBeInstanceOf(BackendError);
    expect(lost.cause).toMatchObject({ unreachable: true, ambiguous: false });
    // the renewals were not "settled" by reads that could only fail alike
    expect(events.filter((e) => e.operation === 'GetItem')).toEqual([]);
    down = false;
    await renewing.release().catch(() => undefined);
  });
});

describe('watch and observe against a closed port (real SDK)', () => {
  it('hand subscribers the unreachable BackendError once stream.retryForMs is spent', async () => {
    const client = localDynamoClient(`http://127.0.0.1:${deadPort}`, { maxAttempts: 3 });
    clients.push(client);
    const events: CallEvent[] = [];
    const store = new Dynastore({
      client,
      tableName: t.tableName,
      stream: { retryForMs: 1_000 },
      onCall: (e) => events.push(e),
    });
    const firstError = (source: {
      subscribe: (o: { error: (e: unknown) => void }) => { unsubscribe(): void };
    }) =>
      new Promise<{ error: unknown; ms: number }>((resolve) => {
        const started = performance.now();
        const sub = source.subscribe({
          error: (error) => {
            resolve({ error, ms: performance.now() - started });
            queueMicrotask(() => sub.unsubscribe());
          },
        });
      });
    const [watched, observed] = await Promise.all([
      firstError(store.partition('p').watch('k')),
      firstError(store.election('e').observe()),
    ]);
    for (const { error, ms } of [watched, observed]) {
      expect(error).toBeInstanceOf(BackendError);
      expect(error).toMatchObject({ operation: 'DescribeTable', unreachable: true, ambiguous: false });
      expect((error as BackendError).message).toContain(`nothing answers at http://127.0.0.1:${deadPort}`);
      expect(ms).toBeLessThan(15_000);
    }
    // retried with backoff for up to retryForMs, then given up
    expect(events.filter((e) => e.operation === 'DescribeTable').length).toBeGreaterThan(2);
  });
});

describe('fault injection: shapes a closed port cannot give', () => {
  /** A client whose next `count` attempts fail with `error()` where the request would be sent. */
  function faulty(error: () => Error, count: number) {
    const events: CallEvent[] = [];
    const { client, store } = storeAt(t.endpoint, events);
    const state = { left: count, attempts: 0 };
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'UpdateItemCommand') return next(args);
        state.attempts++;
        if (state.left > 0) {
          state.left--;
          throw error();
        }
        return next(args);
      },
      { step: 'deserialize', name: 'failBeforeSending' },
    );
    return { store, state, events };
  }

  it.each([
    [
      'EHOSTUNREACH while connecting',
      () => sysError('connect EHOSTUNREACH 10.1.2.3:443', { code: 'EHOSTUNREACH', syscall: 'connect' }),
    ],
    [
      'ETIMEDOUT while connecting',
      () =>
        sysError('connect ETIMEDOUT 10.1.2.3:443', {
          code: 'ETIMEDOUT',
          syscall: 'connect',
          name: 'TimeoutError',
        }),
    ],
    [
      'the handler connection timeout',
      () => Object.assign(new Error(shapes.handlerConnectTimeout.message), { name: 'TimeoutError' }),
    ],
    [
      'EAI_AGAIN',
      () => sysError('getaddrinfo EAI_AGAIN ddb.example', { code: 'EAI_AGAIN', syscall: 'getaddrinfo' }),
    ],
    [
      'every address refused (AggregateError)',
      () => Object.assign(new AggregateError([refused('::1'), refused()], ''), { code: 'ECONNREFUSED' }),
    ],
  ])('%s: the SDK resends the write, which then applies once', async (what, error) => {
    const { store, state } = faulty(error, 2);
    const pair = await store.partition('inject').put(`resent ${what}`, 'v');
    expect(state.attempts).toBe(3);
    expect(pair.version).toBe(1);
    const lease = await store.lock(`resent ${what}`).tryAcquire();
    expect(lease).toBeDefined();
    await lease?.release();
  });

  it.each([
    [
      'ECONNRESET',
      () => sysError('read ECONNRESET', { code: 'ECONNRESET', syscall: 'read', name: 'TimeoutError' }),
    ],
    ['socket hang up', () => sysError('socket hang up', { code: 'ECONNRESET' })],
    [
      'a request timeout',
      () =>
        Object.assign(new Error(sentShapes.requestTimeout.message), {
          name: 'TimeoutError',
          code: 'ETIMEDOUT',
        }),
    ],
  ])('%s stays ambiguous: not resent, settled by reading the row back', async (_what, error) => {
    const { store, state, events } = faulty(error, 1);
    const err = await failure(store.partition('inject').put('ambiguous', 'v'));
    expect(state.attempts).toBe(1); // the guard stopped the resend
    expect(err).toBeInstanceOf(AmbiguousWriteError);
    expect(events.map((e) => e.operation)).toEqual(['UpdateItem', 'GetItem']);
  });
});
