// The README's snippets are fragments: they use `store`, `kv`, `client`, `lease` and a few helpers
// of the reader's own (`reindex`, `applyFlags`, ...) without defining them. This is the documented
// preamble the README test gives them: `ReadmeScope` declares each free name's type (for
// type-checking, as globals of the snippet modules), and `readmeScope()` gives a block that runs
// real values, fresh per block. A snippet also uses, without importing them, any export of
// `dynastore` and `dynastore/testing`, and the names in `OTHER_IMPLICIT` (check.ts):
// `DynamoDBClient`, `TransactWriteItemsCommand`, `hostname`, `sleep`.
import { type AttributeValue, CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../src/dynamodb/create-table.js';
import type { Election } from '../../src/election/index.js';
import { Dynastore, type Partition } from '../../src/facade/index.js';
import type { Lease } from '../../src/lock/index.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import { localDynamoClient } from '../../src/testing/local-client.js';

/** The free names of the README's snippets and their types. */
export interface ReadmeScope {
  /** A DynamoDB client (runnable dynamodb blocks: the test run's DynamoDB Local). */
  readonly client: DynamoDBClient;
  /** The table `store` uses (`dynastore`, created by the scope on DynamoDB Local). */
  readonly tableName: string;
  /** A store: on a MemoryBackend, or on `tableName` for runnable dynamodb blocks. */
  readonly store: Dynastore;
  /** `store.partition('config')` */
  readonly kv: Partition;
  /** `store.partition('config')` */
  readonly config: Partition;
  /** `store.partition('work')` */
  readonly work: Partition;
  /** A lease held on the lock `scope/lease` of `store`. */
  readonly lease: Lease;
  /** `store.election('scheduler')` */
  readonly election: Election;
  /** Never aborted. */
  readonly signal: AbortSignal;
  /** Aborts 300 ms after the block starts using it. */
  readonly shutdown: AbortSignal;
  /** A report's text. */
  readonly body: string;
  /** An item of the table `orders` (key `id`, created by the scope on DynamoDB Local). */
  readonly order: Record<string, AttributeValue>;
  readonly shards: readonly string[];
  readonly rollUp: (shard: string, options: { fencingToken: bigint }) => Promise<void>;
  readonly reindex: (options: { signal: AbortSignal; fencingToken: bigint }) => Promise<void>;
  readonly loadInvoices: () => Promise<unknown[]>;
  readonly scheduleJobs: (options: { term: bigint; signal: AbortSignal }) => Promise<void>;
  readonly applyFlags: (flags: unknown) => void;
  readonly clearFlags: () => void;
  readonly plan: () => string;
  /** Records each line in `logged` (returned by `readmeScope`). */
  readonly log: (line: string) => void;
}

/** Where a runnable block runs: the memory backend, or the run's DynamoDB Local at `endpoint`. */
export type ScopeTarget = { readonly on: 'memory' } | { readonly on: 'dynamodb'; readonly endpoint: string };

/** The table the dynamodb scope's `store` uses: the README's own examples use `dynastore`. */
export const README_TABLE = 'dynastore';

/** `createTable` of the README table, once per process (it is idempotent, but not free). */
let tableReady: Promise<unknown> | undefined;

/**
 * Fresh values of `names` (the scope names one block uses) for that block's run: only what the
 * block uses is made (a lease, a table). `close()` releases the lease and destroys the client;
 * `logged` holds the lines the block passed to `log`.
 *
 * @example
 * ```ts
 * const { scope, close } = await readmeScope({ on: 'memory' }, ['store', 'reindex']);
 * ```
 */
export async function readmeScope(
  target: ScopeTarget,
  names: readonly string[],
): Promise<{ scope: Partial<ReadmeScope>; close: () => Promise<void>; logged: readonly string[] }> {
  const logged: string[] = [];
  const client =
    target.on === 'dynamodb' ? localDynamoClient(target.endpoint) : (undefined as DynamoDBClient | undefined);
  const needClient = (): DynamoDBClient => {
    if (!client) throw new Error('this README block uses `client`: mark it ```ts runnable dynamodb');
    return client;
  };
  if (client) {
    tableReady ??= createTable({ client, tableName: README_TABLE });
    await tableReady;
  }
  const store = client
    ? new Dynastore({ client, tableName: README_TABLE })
    : new Dynastore({ backend: new MemoryBackend() });
  const noop = async () => {};
  const values: Record<keyof ReadmeScope, () => unknown> = {
    client: needClient,
    tableName: () => README_TABLE,
    store: () => store,
    kv: () => store.partition('config'),
    config: () => store.partition('config'),
    work: () => store.partition('work'),
    lease: () => store.lock('scope/lease').acquire(),
    election: () => store.election('scheduler'),
    signal: () => new AbortController().signal,
    shutdown: () => AbortSignal.timeout(300),
    body: () => 'daily report',
    order: async () => {
      await needClient()
        .send(
          new CreateTableCommand({
            TableName: 'orders',
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          }),
        )
        .catch((err: Error) => {
          if (err.name !== 'ResourceInUseException') throw err;
        });
      return { id: { S: `order-${Date.now()}` }, total: { N: '42' } };
    },
    shards: () => ['shard-a', 'shard-b'],
    rollUp: () => noop,
    reindex: () => noop,
    loadInvoices: () => async () => [{ id: 'inv-1', total: 10 }],
    scheduleJobs: () => () => new Promise((resolve) => setTimeout(resolve, 50)),
    applyFlags: () => () => {},
    clearFlags: () => () => {},
    plan: () => () => `plan at ${new Date().toISOString()}`,
    log: () => (line: string) => void logged.push(line),
  };
  const scope: Record<string, unknown> = {};
  for (const name of names) {
    const make = values[name as keyof ReadmeScope];
    if (!make) throw new Error(`the README scope has no ${name}`);
    scope[name] = await make();
  }
  const close = async () => {
    await (scope.lease as Lease | undefined)?.release();
    client?.destroy();
  };
  return { scope: scope as Partial<ReadmeScope>, close, logged };
}
