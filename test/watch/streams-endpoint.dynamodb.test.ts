import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BackendError } from '../../src/contract/errors/store.js';
import { configuredEndpoint, streamsClientFor } from '../../src/dynamodb/streams/client.js';
import { FIRST_CONTACT_MS } from '../../src/dynamodb/streams/feed.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';

// Issue 21 item 1: the Streams client follows the DynamoDB client's endpoint however it was set
// (in code, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL), AWS_ENDPOINT_URL_DYNAMODB_STREAMS wins,
// and a watch that never reached its stream errors within seconds, naming the endpoint.

const credentials = { accessKeyId: 'dynastore', secretAccessKey: 'local' };
const ENV = ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_DYNAMODB_STREAMS'] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

let table: DynamoTable;
const clients: DynamoDBClient[] = [];
/** A client made the way a user's code makes it: no endpoint in code, whatever the env says. */
function userClient(config: ConstructorParameters<typeof DynamoDBClient>[0] = {}): DynamoDBClient {
  const client = new DynamoDBClient({ region: 'us-east-1', credentials, ...config });
  clients.push(client);
  return client;
}

/** A port nothing listens on: bound by the OS, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A server that accepts connections and never answers. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  table = await useDynamoTable();
});

afterEach(() => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await table?.cleanup();
});

/** The first error of a watch of a fresh key, and how long it took; fails on any event. */
async function watchError(store: Dynastore): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await new Promise<unknown>((resolve, reject) => {
    store
      .partition('endpoint')
      .watch(`k-${Math.random()}`)
      .subscribe({ next: (e) => reject(new Error(`unexpected event ${e.type}`)), error: resolve });
  });
  return { error, ms: performance.now() - started };
}

describe('the Streams client follows the DynamoDB endpoint', () => {
  for (const variable of ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL'] as const) {
    it(`${variable}: watch() from the user's own client gets the snapshot and the changes`, async () => {
      process.env[variable] = table.endpoint;
      const client = userClient();
      expect(await configuredEndpoint(client)).toBe(table.endpoint);
      const kv = new Dynastore({ client, tableName: table.tableName }).partition(`env-${variable}`);
      const events = firstValueFrom(kv.watch('flag').pipe(take(2), toArray()));
      // the snapshot arrives first, then the put
      const snapshot = await firstValueFrom(kv.watch('flag'));
      expect(snapshot).toMatchObject({ type: 'delete', cause: 'snapshot' });
      await kv.put('flag', 'on');
      expect((await events).map((e) => [e.type, e.cause])).toEqual([
        ['delete', 'snapshot'],
        ['put', 'write'],
      ]);
    });
  }

  it('endpoint in code: copied (DynamoDB Local serves both APIs)', async () => {
    const streams = await streamsClientFor(userClient({ endpoint: table.endpoint }));
    const e = await streams.config.endpoint?.();
    expect(`${e?.protocol}//${e?.hostname}:${e?.port}`).toBe(table.endpoint);
  });

  it('an AWS endpoint is not copied, nor is an AWS_ENDPOINT_URL the DynamoDB client did not use', async () => {
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
    const streams = await streamsClientFor(
      userClient({ region: 'eu-west-1', endpoint: 'https://dynamodb.eu-west-1.amazonaws.com' }),
    );
    expect(streams.config.isCustomEndpoint).toBe(false);
    expect(streams.config.ignoreConfiguredEndpointUrls).toBe(true);
  });

  it('AWS_ENDPOINT_URL_DYNAMODB_STREAMS wins over the DynamoDB endpoint', async () => {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = table.endpoint;
    process.env.AWS_ENDPOINT_URL_DYNAMODB_STREAMS = 'http://127.0.0.1:9';
    const streams = await streamsClientFor(userClient({ endpoint: table.endpoint }));
    expect(await configuredEndpoint(streams)).toBe('http://127.0.0.1:9');
  });
});

describe('a watch that never reached its stream errors within seconds, naming the endpoint', () => {
  it('a dead Streams endpoint (AWS_ENDPOINT_URL_DYNAMODB_STREAMS, connection refused)', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    process.env.AWS_ENDPOINT_URL_DYNAMODB_STREAMS = dead;
    const store = new Dynastore({
      client: userClient({ endpoint: table.endpoint }),
      tableName: table.tableName,
    });
    const { error, ms } = await watchError(store);
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ operation: 'DescribeStream', unreachable: true });
    expect((error as Error).message).toContain(dead);
    expect((error as Error).message).toContain('AWS_ENDPOINT_URL_DYNAMODB_STREAMS');
    expect(ms).toBeLessThan(10_000);
    expect(ms).toBeGreaterThan(2_000); // it retried meanwhile (backoff 100 ms doubling, within FIRST_CONTACT_MS)
    expect(ms).toBeLessThanOrEqual(FIRST_CONTACT_MS + 1_000);
  }, 20_000);

  it('a Streams endpoint that accepts connections and never answers', async () => {
    const silent = await silentServer();
    try {
      process.env.AWS_ENDPOINT_URL_DYNAMODB_STREAMS = silent.url;
      const store = new Dynastore({
        client: userClient({ endpoint: table.endpoint }),
        tableName: table.tableName,
      });
      const { error, ms } = await watchError(store);
      expect(error).toBeInstanceOf(BackendError);
      expect((error as Error).message).toContain(`no answer from ${silent.url}`);
      expect(ms).toBeLessThan(10_000);
    } finally {
      await silent.close();
    }
  }, 20_000);
});
