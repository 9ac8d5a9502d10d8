/**
 * `npx tsx bench/profile-lock.ts [--cycles 300] [--rounds 6] [--only <runner name part>]`: where an uncontended lock cycle
 * (grant + release) spends its time, against one DynamoDB Local started here.
 *
 * Part 1 sends request shapes with the raw SDK v3 client, interleaved round by round (each round
 * runs every shape for `cycles` cycles, in a rotating order): dynastore's grant and release
 * exactly as the library builds them (`grantWrite`/`releaseWrite` through `buildUpdate`), the
 * peer's fail-closed pair (`dynamodb-lock-client`: PutItem of 3 attributes under
 * `attribute_not_exists`, DeleteItem under `guid = :guid`) and variants in between, so the cost of
 * each difference (return values, condition size, attributes written, PutItem vs UpdateItem) is
 * DynamoDB Local's own, measured with the same client. For each shape: request and response
 * bytes on the wire (HTTP bodies) and the median time of each call.
 *
 * Part 2 runs the library's cycle (`lock.acquire()` + `lease.release()`) and reports the time
 * spent inside SDK calls per cycle (from `onCall`), the cycle's wall time, and the client-side
 * work outside the SDK (wall minus SDK). Run it under `--cpu-prof` for a profile of that work.
 *
 * Timings are noisy on a shared machine: compare shapes within one run, not across runs.
 */
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { defaultAttributeNames } from '../src/contract/names.js';
import { newWriteId, WRITE_ID_FIELD } from '../src/contract/write-id.js';
import { buildUpdate, type TableRef } from '../src/dynamodb/builders.js';
import { compileCondition, Placeholders } from '../src/dynamodb/expression.js';
import { guardResends, type MiddlewareAdder, traceEndpoint } from '../src/dynamodb/retry-guard.js';
import { createTable, Dynastore } from '../src/index.js';
import { grantCondition, grantWrite, type LeaseTerms, releaseWrite } from '../src/lock/row.js';
import { silenceNodeVersionWarning } from '../src/process/quiet.js';
import { startLocalDynamo } from '../src/testing.js';

silenceNodeVersionWarning();
const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const CYCLES = arg('cycles', 300);
/** `--only library`: only the runners whose name contains this (e.g. under `--cpu-prof`). */
const ONLY = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '') : '';
const ROUNDS = arg('rounds', 6);

const TABLE = 'profile_dynastore';
const PEER_TABLE = 'profile_peer';
const PLAIN_TABLE = 'profile_nostream';
const ref: TableRef = { tableName: TABLE, names: defaultAttributeNames };
const plainRef: TableRef = { tableName: PLAIN_TABLE, names: defaultAttributeNames };

/** One request of a shape: what to send, given the cycle's key and a fresh token. */
type Request = { op: 'update' | 'put' | 'delete'; input: object };
interface Shape {
  readonly name: string;
  readonly note: string;
  /** Send through the v2 SDK (`aws-sdk`, the peer's) instead of v3. */
  readonly v2?: boolean;
  grant(key: string, token: bigint): Request;
  release(key: string, token: bigint): Request;
}

const OWNER = 'host-1:4242:q3XvN1k0';
const terms = (token: bigint): LeaseTerms => ({
  owner: OWNER,
  token,
  leaseMs: 10_000,
  retentionMs: 86_400_000,
  data: undefined,
});
const target = (key: string) => ({ partition: `_lock/${key}`, key });

/** dynastore's grant as `Contender.attempt` builds it (write id added by `settledWrite`). */
function ourGrant(key: string, token: bigint, on = ref): UpdateItemCommandInput {
  const now = Date.now();
  const w = grantWrite(target(key), terms(token), now, { expiredBefore: now - 1_000 });
  return buildUpdate(on, { ...w, fields: { ...w.fields, [WRITE_ID_FIELD]: newWriteId() } });
}
function ourRelease(key: string, token: bigint, on = ref): UpdateItemCommandInput {
  return buildUpdate(on, releaseWrite(target(key), terms(token), Date.now()));
}
/**
 * dynastore's grant and release as they were before issue 10 §2 (rebuilt here from today's, so
 * both run in one process, interleaved): the grant's condition had an `attribute_not_exists(id)`
 * clause of its own for an absent row and sent the token twice, and every operand of AND / OR
 * was parenthesised.
 */
function ourGrantBefore(key: string, token: bigint): UpdateItemCommandInput {
  const u = ourGrant(key, token);
  const ph = placeholdersOf(u);
  const now = Date.now();
  return {
    ...u,
    ConditionExpression: `(attribute_not_exists(#id)) OR (((attribute_not_exists(${ph.token})) OR (${ph.token} < :t0)) AND ((attribute_not_exists(${ph.owner})) OR (${ph.leaseUntil} < :x0)))`,
    ExpressionAttributeNames: { ...u.ExpressionAttributeNames, '#id': 'id' },
    ExpressionAttributeValues: {
      ...Object.fromEntries(
        Object.entries(u.ExpressionAttributeValues ?? {}).filter(([k]) => u.UpdateExpression?.includes(k)),
      ),
      ':t0': N(token),
      ':x0': N(now - 1_000),
    },
  };
}
function ourReleaseBefore(key: string, token: bigint): UpdateItemCommandInput {
  const u = ourRelease(key, token);
  return {
    ...u,
    ConditionExpression: (u.ConditionExpression ?? '').replace(/^(.*) AND (.*)$/, '($1) AND ($2)'),
  };
}
function placeholdersOf(u: UpdateItemCommandInput): Record<string, string> {
  return Object.fromEntries(Object.entries(u.ExpressionAttributeNames ?? {}).map(([ph, name]) => [name, ph]));
}

/** A lock row's key on a table of dynastore's layout (composite key). */
const layoutKey = (key: string): Record<string, AttributeValue> => ({ id: S(`_lock/${key}`), name: S(key) });
/** A lock row's key on the peer's own table (hash key `id` only). */
const peerKey = (key: string): Record<string, AttributeValue> => ({ id: S(key) });

/** The peer's fail-closed pair (a `PutItem` and a `DeleteItem`) on `table`, rows keyed by `keyOf`. */
function peerOn(table: string, keyOf = layoutKey): Pick<Shape, 'grant' | 'release'> {
  return {
    grant: (key, token) => ({
      op: 'put',
      input: {
        TableName: table,
        Item: { ...keyOf(key), owner: S(OWNER), guid: S(guid(token)) },
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': 'id' },
        ReturnConsumedCapacity: 'TOTAL',
      },
    }),
    release: (key, token) => ({
      op: 'delete',
      input: {
        TableName: table,
        Key: keyOf(key),
        ConditionExpression: 'attribute_exists(#id) and guid = :guid',
        ExpressionAttributeNames: { '#id': 'id' },
        ExpressionAttributeValues: { ':guid': S(guid(token)) },
        ReturnConsumedCapacity: 'TOTAL',
      },
    }),
  };
}
const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number | bigint): AttributeValue => ({ N: String(n) });
/** A guid as long as the peer's (a UUID). */
const guid = (token: bigint) => `00000000-0000-4000-8000-${token.toString(16).padStart(12, '0')}`;

const SHAPES: Shape[] = [
  {
    name: 'ours (library shapes)',
    note: 'grantWrite/releaseWrite through buildUpdate, write id added',
    grant: (key, token) => ({ op: 'update', input: ourGrant(key, token) }),
    release: (key, token) => ({ op: 'update', input: ourRelease(key, token) }),
  },
  {
    name: 'ours before issue 10 §2',
    note: 'the grant and release as they were: absent-row clause, token twice, every operand parenthesised',
    grant: (key, token) => ({ op: 'update', input: ourGrantBefore(key, token) }),
    release: (key, token) => ({ op: 'update', input: ourReleaseBefore(key, token) }),
  },
  {
    name: 'ours, ReturnValues NONE',
    note: 'the same, without ALL_NEW',
    grant: (key, token) => ({ op: 'update', input: { ...ourGrant(key, token), ReturnValues: 'NONE' } }),
    release: (key, token) => ({ op: 'update', input: { ...ourRelease(key, token), ReturnValues: 'NONE' } }),
  },
  {
    name: 'ours, no ALL_NEW, no capacity',
    note: 'also without ReturnConsumedCapacity',
    grant: (key, token) => ({
      op: 'update',
      input: { ...ourGrant(key, token), ReturnValues: 'NONE', ReturnConsumedCapacity: 'NONE' },
    }),
    release: (key, token) => ({
      op: 'update',
      input: { ...ourRelease(key, token), ReturnValues: 'NONE', ReturnConsumedCapacity: 'NONE' },
    }),
  },
  {
    name: 'update, peer-sized',
    note: 'UpdateItem SET 3 attributes under attribute_not_exists; release REMOVE 2 under owner =',
    grant: (key) => ({
      op: 'update',
      input: {
        TableName: TABLE,
        Key: layoutKey(key),
        UpdateExpression: 'SET #o = :o, #g = :g',
        ConditionExpression: 'attribute_not_exists(#o)',
        ExpressionAttributeNames: { '#o': 'owner', '#g': 'guid' },
        ExpressionAttributeValues: { ':o': S(OWNER), ':g': S(newWriteId()) },
      },
    }),
    release: (key) => ({
      op: 'update',
      input: {
        TableName: TABLE,
        Key: layoutKey(key),
        UpdateExpression: 'REMOVE #o, #g',
        ConditionExpression: '#o = :o',
        ExpressionAttributeNames: { '#o': 'owner', '#g': 'guid' },
        ExpressionAttributeValues: { ':o': S(OWNER) },
      },
    }),
  },
  {
    name: 'put full row, our condition',
    note: 'PutItem of the whole lock row (version known) under the grant condition; release as ours',
    grant: (key, token) => {
      const now = Date.now();
      const x = new Placeholders(ref.names);
      const condition = compileCondition(grantCondition(token, { expiredBefore: now - 1_000 }), x);
      return {
        op: 'put',
        input: {
          TableName: TABLE,
          Item: {
            id: S(`_lock/${key}`),
            name: S(key),
            owner: S(OWNER),
            token: N(token),
            leaseMs: N(10_000),
            leaseUntil: N(now + 10_000),
            expires: N(Math.ceil((now + 86_400_000) / 1000)),
            writeId: S(newWriteId()),
            version: N(1),
          },
          ConditionExpression: condition,
          ...x.toInput(),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ReturnConsumedCapacity: 'TOTAL',
        },
      };
    },
    release: (key, token) => ({ op: 'update', input: ourRelease(key, token) }),
  },
  {
    name: 'peer fail-closed, our table',
    note: 'dynamodb-lock-client FailClosed shapes on our table (composite key, stream on)',
    ...peerOn(TABLE),
  },
  {
    name: 'ours, table without stream',
    note: 'the library shapes on a table of our layout without a stream',
    grant: (key, token) => ({ op: 'update', input: ourGrant(key, token, plainRef) }),
    release: (key, token) => ({ op: 'update', input: ourRelease(key, token, plainRef) }),
  },
  {
    name: 'peer fail-closed, no stream',
    note: 'the FailClosed shapes on a table of our layout without a stream',
    ...peerOn(PLAIN_TABLE),
  },
  {
    name: 'ours (library shapes), SDK v2',
    note: 'the library shapes sent by the v2 SDK, as the peer sends',
    v2: true,
    grant: (key, token) => ({ op: 'update', input: ourGrant(key, token) }),
    release: (key, token) => ({ op: 'update', input: ourRelease(key, token) }),
  },
  {
    name: 'peer fail-closed, its table, v2',
    note: 'the FailClosed shapes on its own table, sent by the v2 SDK (the peer as it runs)',
    v2: true,
    ...peerOn(PEER_TABLE, peerKey),
  },
  {
    name: 'peer fail-closed, its table',
    note: "dynamodb-lock-client FailClosed shapes on its own table (HASH id), as the peer's bench",
    ...peerOn(PEER_TABLE, peerKey),
  },
];

/** Request and response body sizes of the last call, recorded by a middleware. */
const wire = { request: 0, response: 0 };

function command(r: Request) {
  const c =
    r.op === 'update'
      ? new UpdateItemCommand(r.input as never)
      : r.op === 'put'
        ? new PutItemCommand(r.input as never)
        : new DeleteItemCommand(r.input as never);
  (c.middlewareStack as { add: (m: unknown, o: unknown) => void }).add(
    (next: (a: unknown) => Promise<{ response: { headers: Record<string, string> } }>) =>
      async (a: { request: { body?: string } }) => {
        wire.request = Buffer.byteLength(a.request.body ?? '');
        const out = await next(a);
        wire.response = Number(out.response.headers['content-length'] ?? 0);
        return out;
      },
    { step: 'finalizeRequest', priority: 'low', name: 'profileWire' },
  );
  return c;
}

/** The v2 SDK's low-level client (the peer's SDK), on the same endpoint, keep-alive as v3. */
interface V2Service {
  updateItem(input: object): { promise(): Promise<unknown> };
  putItem(input: object): { promise(): Promise<unknown> };
  deleteItem(input: object): { promise(): Promise<unknown> };
}
let v2: V2Service | undefined;

function v2Service(endpoint: string): V2Service {
  const require = createRequire(import.meta.url);
  (require('aws-sdk/lib/maintenance_mode_message.js') as { suppress: boolean }).suppress = true;
  const Service = require('aws-sdk/clients/dynamodb.js') as new (config: object) => V2Service;
  return new Service({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'dynastore', secretAccessKey: 'local' },
    maxRetries: 2,
    httpOptions: { agent: new Agent({ keepAlive: true }) },
  });
}

async function send(client: DynamoDBClient, r: Request, viaV2 = false): Promise<number> {
  if (viaV2 && v2) {
    const t0 = performance.now();
    if (r.op === 'update') await v2.updateItem(r.input).promise();
    else if (r.op === 'put') await v2.putItem(r.input).promise();
    else await v2.deleteItem(r.input).promise();
    return performance.now() - t0;
  }
  const c = command(r);
  const t0 = performance.now();
  await client.send(c as never);
  return performance.now() - t0;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};
const f = (ms: number) => ms.toFixed(3).padStart(7);

/** Per runner: each cycle's grant and release time, its wall time, and the last bodies' sizes. */
interface Stats {
  grant: number[];
  release: number[];
  wall: number[];
  bytes: number[];
}

/**
 * Every shape and the library's own cycle, interleaved: round r runs runner (r + j) mod n j-th,
 * `CYCLES` cycles each, so a slow spell of the machine lands on all alike.
 */
async function profile(client: DynamoDBClient): Promise<void> {
  const calls: number[] = [];
  const store = new Dynastore({ client, tableName: TABLE, onCall: (e) => void calls.push(e.durationMs) });
  const lock = store.lock('library-cycle', { leaseMs: 10_000 });
  const runners = [...SHAPES.map((s) => s.name), 'library: acquire + release'];
  const picked = runners.map((_, i) => i).filter((i) => runners[i]!.includes(ONLY));
  const stats: Stats[] = runners.map(() => ({ grant: [], release: [], wall: [], bytes: [0, 0, 0, 0] }));
  let token = 1n;
  const cycle = async (i: number, n: number, record: boolean) => {
    const shape = SHAPES[i];
    const key = `cycle-${i}`;
    const st = stats[i]!;
    for (let c = 0; c < n; c++) {
      token++;
      const t0 = performance.now();
      if (shape) {
        if (shape.v2) wire.request = wire.response = 0;
        const g = await send(client, shape.grant(key, token), shape.v2);
        const gw = [wire.request, wire.response];
        const r = await send(client, shape.release(key, token), shape.v2);
        if (!record) continue;
        st.wall.push(performance.now() - t0);
        st.grant.push(g);
        st.release.push(r);
        st.bytes = [gw[0]!, gw[1]!, wire.request, wire.response];
      } else {
        calls.length = 0;
        const lease = await lock.acquire();
        await lease.release();
        if (!record) continue;
        st.wall.push(performance.now() - t0);
        if (calls.length !== 2) throw new Error(`a library cycle made ${calls.length} calls, not 2`);
        st.grant.push(calls[0]!);
        st.release.push(calls[1]!);
      }
    }
  };
  for (const i of picked) await cycle(i, 200, false); // warm-up: JIT of Node and the JVM
  for (let round = 0; round < ROUNDS; round++) {
    for (let j = 0; j < picked.length; j++) await cycle(picked[(round + j) % picked.length]!, CYCLES, true);
  }
  console.log(
    `\n${ROUNDS} interleaved rounds x ${CYCLES} cycles per runner; medians in ms (sdk: grant + release inside ` +
      'client.send, library: from onCall); HTTP body bytes',
  );
  console.log(
    `${'runner'.padEnd(32)} ${'grant'.padStart(7)} ${'release'.padStart(7)} ${'sdk'.padStart(7)} ${'wall'.padStart(7)} ${'other'.padStart(7)}  req/resp bytes (grant; release)`,
  );
  picked.forEach((i) => {
    const name = runners[i]!;
    const s = stats[i]!;
    const sdk = s.grant.map((g, k) => g + s.release[k]!);
    const other = s.wall.map((w, k) => w - sdk[k]!);
    const [gq, gr, rq, rr] = s.bytes;
    const bytes = !SHAPES[i]
      ? 'as "ours (library shapes)"'
      : SHAPES[i]!.v2
        ? 'as with v3'
        : `${gq}/${gr}; ${rq}/${rr}`;
    console.log(
      `${name.padEnd(32)} ${f(median(s.grant))} ${f(median(s.release))} ${f(median(sdk))} ${f(median(s.wall))} ${f(median(other))}  ${bytes}${SHAPES[i] ? `   (${SHAPES[i]!.note})` : ''}`,
    );
  });
}

/**
 * A client whose HTTP handler answers at once with a canned body: the whole SDK stack runs
 * (serialize, sign, middleware, deserialize) but no network and no DynamoDB Local, so the time
 * is client-side CPU only.
 */
function stubClient(): DynamoDBClient {
  const row = JSON.stringify({
    Attributes: { id: S('_lock/k'), name: S('k'), version: N(2), token: N(1), owner: S(OWNER) },
    ConsumedCapacity: { TableName: TABLE, CapacityUnits: 1 },
  });
  const body = new TextEncoder().encode(row);
  return new DynamoDBClient({
    endpoint: 'http://127.0.0.1:1',
    region: 'us-east-1',
    credentials: { accessKeyId: 'dynastore', secretAccessKey: 'local' },
    requestHandler: {
      handle: async () => ({
        response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body },
      }),
    } as never,
  });
}

/** Client-side work per cycle, µs (mean over interleaved rounds): raw sends, with our middleware, the library. */
async function clientWork(): Promise<void> {
  const client = stubClient();
  const store = new Dynastore({ client, tableName: TABLE, onCall: () => {} });
  const lock = store.lock('k', { leaseMs: 10_000 });
  let token = 1n;
  const raw = async (middleware: boolean) => {
    token++;
    for (const input of [ourGrant('k', token), ourRelease('k', token)]) {
      const c = new UpdateItemCommand(input);
      if (middleware) {
        guardResends(c.middlewareStack as unknown as MiddlewareAdder);
        traceEndpoint(c.middlewareStack as unknown as MiddlewareAdder);
      }
      await client.send(c);
    }
  };
  const runners: [string, () => Promise<void>][] = [
    ['raw SDK sends of our two shapes', () => raw(false)],
    ['  + resend guard and endpoint trace', () => raw(true)],
    ['library: acquire + release', async () => (await lock.acquire()).release()],
  ];
  // short blocks, many rounds, median block: a slow spell of a shared machine spoils a few blocks, not a runner
  const blocks: number[][] = runners.map(() => []);
  const per = 25;
  for (const [, run] of runners) for (let i = 0; i < 400; i++) await run();
  for (let round = 0; round < ROUNDS * 8; round++) {
    for (let j = 0; j < runners.length; j++) {
      const k = (round + j) % runners.length;
      const t0 = performance.now();
      for (let i = 0; i < per; i++) await runners[k]![1]();
      blocks[k]!.push(((performance.now() - t0) * 1000) / per);
    }
  }
  console.log(
    `\nClient-side work per cycle, no network (SDK stack against a stub HTTP handler), µs, median of ${ROUNDS * 8} blocks of ${per}:`,
  );
  runners.forEach(([name], k) => {
    console.log(`${name.padEnd(40)} ${median(blocks[k]!).toFixed(1).padStart(8)}`);
  });
  client.destroy();
}

if (!args.includes('--no-stub')) await clientWork();
if (args.includes('--stub-only')) process.exit(0);
const local = await startLocalDynamo();
try {
  await createTable({ client: local.client, tableName: TABLE });
  await local.client.send(
    new CreateTableCommand({
      TableName: PEER_TABLE,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await local.client.send(
    new CreateTableCommand({
      TableName: PLAIN_TABLE,
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'name', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'id', KeyType: 'HASH' },
        { AttributeName: 'name', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  for (const TableName of [PEER_TABLE, PLAIN_TABLE])
    await waitUntilTableExists({ client: local.client, maxWaitTime: 60 }, { TableName });
  v2 = v2Service(local.endpoint);
  await profile(local.client);
} finally {
  await local.stop();
}
