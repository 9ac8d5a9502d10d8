import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { BackendError, TableMismatchError, ValidationError } from '../contract/errors/store.js';
import type { AttributeNames } from '../contract/names.js';
import { checkBoolean, checkDuration, MAX_TIMER_MS, resolveOptions } from '../contract/validate.js';
import {
  buildCreateTableInput,
  buildDisableStreamInput,
  buildEnableStreamInput,
  buildUpdateTimeToLiveInput,
  keySchemaDifferences,
  resolveKeyNames,
  streamState,
  type TableKeyNames,
  ttlState,
} from './create-table-input.js';
import { wrapAwsError } from './errors.js';
import { replaceStreamSteps } from './stream-steps.js';
import { checkTableName } from './table-name.js';

/**
 * Options of {@link createTable}.
 *
 * @example
 * ```ts
 * await createTable({ client, tableName: 'locks', attributeNames: { expires: 'ttl' } });
 * ```
 */
export interface CreateTableOptions {
  /** The DynamoDB client; used, never destroyed. */
  readonly client: DynamoDBClient;
  /** 3–255 characters of `[a-zA-Z0-9_.-]`. */
  readonly tableName: string;
  /** Physical attribute names (`partition`, `key` and `expires` matter here). @default Go dynastore's: `id`, `name`, `expires` */
  readonly attributeNames?: Partial<AttributeNames>;
  /** How long to wait for the table (and a stream update) to become ACTIVE. @default 300_000 */
  readonly waitTimeoutMs?: number;
  /**
   * Whether a stream of another view type (e.g. KEYS_ONLY) is replaced: disabled, then a
   * NEW_AND_OLD_IMAGES one turned on (DynamoDB does not change the view type of an enabled
   * stream). Whoever reads the old stream loses it. Without it, such a table is a
   * {@link TableMismatchError} that gives these steps. Run it from one process, not in a race.
   * @default false
   */
  readonly replaceStream?: boolean;
}

/**
 * What {@link createTable} did. All false: the table already matched (a no-op).
 *
 * @example
 * ```ts
 * const { created, streamArn } = await createTable({ client, tableName });
 * ```
 */
export interface CreateTableResult {
  readonly created: boolean;
  /** A NEW_AND_OLD_IMAGES stream was turned on for an existing table. */
  readonly enabledStream: boolean;
  /** A stream of another view type was disabled first (`replaceStream`). */
  readonly replacedStream: boolean;
  /** TTL on the `expires` attribute was turned on. */
  readonly enabledTtl: boolean;
  readonly tableArn: string | undefined;
  /** The stream's ARN (the watch layer reads it). */
  readonly streamArn: string | undefined;
}

/**
 * Creates (or completes) a table with the dynastore layout: HASH `id` (S), RANGE `name` (S),
 * a NEW_AND_OLD_IMAGES stream, on-demand billing, TTL on `expires`; waits until it is ACTIVE.
 * Idempotent and safe to race: on an existing table with the right key schema it only turns on a
 * missing stream or TTL. A different key schema, a stream of another view type (unless
 * `replaceStream`) or TTL on another attribute throw {@link TableMismatchError} saying what
 * differs and what to do. A bad table name throws
 * {@link ValidationError} before any call. Other AWS failures are {@link BackendError}s.
 *
 * @example
 * ```ts
 * const client = new DynamoDBClient({});
 * await createTable({ client, tableName: 'dynastore' });
 * ```
 */
export async function createTable(options: CreateTableOptions): Promise<CreateTableResult> {
  const o = resolveOptions('createTable', options, {
    client: undefined as DynamoDBClient | undefined,
    tableName: undefined as string | undefined,
    attributeNames: undefined as Partial<AttributeNames> | undefined,
    waitTimeoutMs: 300_000,
    replaceStream: false,
  });
  const tableName = checkTableName(o.tableName);
  const names = resolveKeyNames(o.attributeNames);
  const waitTimeoutMs = checkDuration('waitTimeoutMs', o.waitTimeoutMs, { max: MAX_TIMER_MS });
  const replaceStream = checkBoolean('replaceStream', o.replaceStream);
  const client = o.client;
  if (typeof client !== 'object' || client === null || typeof client.send !== 'function') {
    throw new ValidationError('client', 'must be a DynamoDBClient');
  }
  const deadline = performance.now() + waitTimeoutMs;

  let created = false;
  let table = await describeTable(client, tableName);
  if (table === undefined) {
    try {
      await client.send(new CreateTableCommand(buildCreateTableInput(tableName, names)));
      created = true;
    } catch (err) {
      // Someone else is creating it at the same moment: fine, it is checked below.
      if ((err as { name?: string }).name !== 'ResourceInUseException')
        throw wrapAwsError('CreateTable', err);
    }
    table = await waitUntilActive(client, tableName, deadline);
  }
  checkKeySchema(tableName, table, names);
  table = await waitUntilActive(client, tableName, deadline, table);

  let enabledStream = false;
  let replacedStream = false;
  let stream = streamState(table);
  if (stream === 'other') {
    const viewType = table.StreamSpecification?.StreamViewType;
    if (!replaceStream) {
      throw new TableMismatchError(
        `table '${tableName}' has a ${viewType} stream; dynastore needs NEW_AND_OLD_IMAGES. ` +
          replaceStreamSteps(tableName),
      );
    }
    try {
      await client.send(new UpdateTableCommand(buildDisableStreamInput(tableName)));
      replacedStream = true;
    } catch (err) {
      throw wrapAwsError('UpdateTable', err);
    }
    table = await waitUntilActive(client, tableName, deadline);
    stream = streamState(table);
    if (stream === 'other') {
      throw new BackendError(
        'UpdateTable',
        `the ${viewType} stream of '${tableName}' did not turn off`,
        true,
      );
    }
  }
  if (stream === 'missing') {
    let failure: unknown;
    try {
      await client.send(new UpdateTableCommand(buildEnableStreamInput(tableName)));
      enabledStream = true;
    } catch (err) {
      failure = err; // maybe a concurrent createTable did it first: judged by the table below
    }
    table = await waitUntilActive(client, tableName, deadline);
    if (streamState(table) !== 'ok') {
      throw failure === undefined
        ? new BackendError('UpdateTable', `the stream of '${tableName}' did not turn on`, true)
        : wrapAwsError('UpdateTable', failure);
    }
  }

  const enabledTtl = await ensureTtl(client, tableName, names);
  return {
    created,
    enabledStream,
    replacedStream,
    enabledTtl,
    tableArn: table.TableArn,
    streamArn: table.LatestStreamArn,
  };
}

async function ensureTtl(client: DynamoDBClient, tableName: string, names: TableKeyNames): Promise<boolean> {
  const describe = async () => {
    try {
      const out = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
      return ttlState(out.TimeToLiveDescription, names);
    } catch (err) {
      throw wrapAwsError('DescribeTimeToLive', err);
    }
  };
  const state = await describe();
  if (state === 'ok') return false;
  if (state === 'other') {
    throw new TableMismatchError(
      `table '${tableName}' has TTL on another attribute; dynastore needs it on '${names.expires}'`,
    );
  }
  try {
    await client.send(new UpdateTimeToLiveCommand(buildUpdateTimeToLiveInput(tableName, names)));
    return true;
  } catch (err) {
    // A concurrent createTable may have won: accept its result.
    if ((await describe()) === 'ok') return false;
    throw wrapAwsError('UpdateTimeToLive', err);
  }
}

function checkKeySchema(tableName: string, table: TableDescription, names: TableKeyNames): void {
  const diffs = keySchemaDifferences(table, names);
  if (diffs.length > 0) {
    throw new TableMismatchError(
      `table '${tableName}' does not have the dynastore key schema: ${diffs.join('; ')}`,
    );
  }
}

async function describeTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw wrapAwsError('DescribeTable', err);
  }
}

/** Polls DescribeTable (50 ms doubling to 2 s) until the table is ACTIVE. */
async function waitUntilActive(
  client: DynamoDBClient,
  tableName: string,
  deadline: number,
  known?: TableDescription,
): Promise<TableDescription> {
  let table = known;
  for (let delayMs = 50; ; delayMs = Math.min(delayMs * 2, 2_000)) {
    table ??= await describeTable(client, tableName);
    const status = table?.TableStatus;
    if (table && status === 'ACTIVE') return table;
    if (status === 'DELETING') {
      throw new BackendError(
        'DescribeTable',
        `table '${tableName}' is being deleted; retry once it is gone`,
        true,
      );
    }
    if (performance.now() + delayMs > deadline) {
      throw new BackendError(
        'DescribeTable',
        `table '${tableName}' did not become ACTIVE in time (status: ${status ?? 'absent'})`,
        true,
      );
    }
    await new Promise((done) => setTimeout(done, delayMs));
    table = undefined;
  }
}
