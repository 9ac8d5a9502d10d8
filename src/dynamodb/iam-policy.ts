import { ValidationError } from '../contract/errors/store.js';
import { resolveOptions } from '../contract/validate.js';
import { checkTableName } from './table-name.js';

/**
 * The IAM actions dynastore's calls need, by what they act on. Exactly what the code calls (the
 * test `test/dynamodb/iam-policy.test.ts` drives every feature and checks both ways):
 * - `items`: `GetItem` (reads, read-backs), `Query` (lists, semaphore slots), `UpdateItem` (every
 *   write: dynastore never sends `PutItem`), `DeleteItem`, and, inside `TransactWriteItems` (fenced
 *   writes, session takeovers), `UpdateItem`, `DeleteItem` and `ConditionCheckItem` (IAM
 *   authorizes a transaction by the actions it contains; there is no `TransactWriteItems` action);
 * - `table`: `DescribeTable` (global-table check, the stream's ARN, key-schema hints);
 * - `create`: what `createTable` and `dynastore init` add (`CreateTable`, `UpdateTable` to turn on
 *   the stream of an existing table, `DescribeTimeToLive`, `UpdateTimeToLive`);
 * - `streams`: what `watch` and lock waiters read DynamoDB Streams with.
 *
 * @example
 * ```ts
 * IAM_ACTIONS.items; // ['dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', ...]
 * ```
 */
export const IAM_ACTIONS = {
  items: [
    'dynamodb:ConditionCheckItem',
    'dynamodb:DeleteItem',
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
  ],
  table: ['dynamodb:DescribeTable'],
  create: [
    'dynamodb:CreateTable',
    'dynamodb:DescribeTimeToLive',
    'dynamodb:UpdateTable',
    'dynamodb:UpdateTimeToLive',
  ],
  streams: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
} as const;

/** Options of {@link iamPolicy}. */
export interface IamPolicyOptions {
  /** The table's name. */
  tableName: string;
  /** The table's Region. @default '*' (any) */
  region?: string;
  /** The AWS account id (12 digits). @default '*' (any) */
  account?: string;
  /**
   * Confine every row to partition keys that start with this (`dynamodb:LeadingKeys`, on the item
   * actions): a tenant's KV partitions and coordination rows must all be named under it.
   * @default no condition
   */
  prefix?: string;
  /** Grant the DynamoDB Streams reads of `watch` (and of lock waiters woken by the stream). @default true */
  watch?: boolean;
  /** Grant what `createTable` / `dynastore init` need. @default true */
  create?: boolean;
  /** The ARN partition: `aws`, `aws-cn`, `aws-us-gov`. @default 'aws' */
  arnPartition?: string;
}

/** One statement of an {@link IamPolicyDocument}. */
export interface IamPolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** An IAM policy document (JSON-ready). */
export interface IamPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly IamPolicyStatement[];
}

/**
 * The least-privilege IAM policy for dynastore on one table: exactly the actions it calls
 * ({@link IAM_ACTIONS}), no wildcard actions, resources `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`
 * and its streams `.../table/NAME/stream/*`. With `prefix`, the item actions carry a
 * `ForAllValues:StringLike` condition on `dynamodb:LeadingKeys` (`PREFIX*`): the principal can
 * read and write only rows whose partition key starts with it. The table and stream actions
 * have no partition key to test, so they carry no such condition. Pure: the CLI's
 * `dynastore iam-policy` prints it.
 *
 * @example
 * ```ts
 * const policy = iamPolicy({ tableName: 'dynastore', region: 'eu-west-1', prefix: 'tenant-a/' });
 * console.log(JSON.stringify(policy, null, 2));
 * ```
 */
export function iamPolicy(options: IamPolicyOptions): IamPolicyDocument {
  const o = resolveOptions('iamPolicy', options, {
    tableName: undefined as string | undefined,
    region: '*',
    account: '*',
    prefix: undefined as string | undefined,
    watch: true,
    create: true,
    arnPartition: 'aws',
  });
  const tableName = checkTableName(o.tableName);
  const region = checkPart('region', o.region, /^[a-z]{2}(-[a-z]+)+-\d+$/, 'a Region such as eu-west-1');
  const account = checkPart('account', o.account, /^\d{12}$/, 'a 12-digit account id');
  const arnPartition = checkPart(
    'arnPartition',
    o.arnPartition,
    /^aws(-[a-z]+)*$/,
    'aws, aws-cn or aws-us-gov',
    false,
  );
  if (typeof o.watch !== 'boolean') throw new ValidationError('watch', 'must be a boolean');
  if (typeof o.create !== 'boolean') throw new ValidationError('create', 'must be a boolean');
  const table = `arn:${arnPartition}:dynamodb:${region}:${account}:table/${tableName}`;
  const items: IamPolicyStatement = {
    Sid: 'DynastoreItems',
    Effect: 'Allow',
    Action: [...IAM_ACTIONS.items],
    Resource: table,
    ...(o.prefix !== undefined && {
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${checkPrefix(o.prefix)}*`] } },
    }),
  };
  const tableActions: IamPolicyStatement = {
    Sid: 'DynastoreTable',
    Effect: 'Allow',
    Action: [...IAM_ACTIONS.table, ...(o.create ? IAM_ACTIONS.create : [])].sort(),
    Resource: table,
  };
  const streams: IamPolicyStatement = {
    Sid: 'DynastoreStream',
    Effect: 'Allow',
    Action: [...IAM_ACTIONS.streams],
    Resource: `${table}/stream/*`,
  };
  return { Version: '2012-10-17', Statement: [items, tableActions, ...(o.watch ? [streams] : [])] };
}

function checkPart(field: string, value: unknown, pattern: RegExp, what: string, star = true): string {
  if (typeof value !== 'string' || !((star && value === '*') || pattern.test(value))) {
    throw new ValidationError(field, `must be ${what}${star ? " or '*'" : ''}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix === '')
    throw new ValidationError('prefix', 'must be a non-empty string');
  if (/[*?]|\$\{/.test(prefix)) {
    throw new ValidationError(
      'prefix',
      `must not contain *, ? or \${ (they are wildcards or variables in an IAM condition), got ${JSON.stringify(prefix)}`,
    );
  }
  if (Buffer.byteLength(prefix, 'utf8') > 2048)
    throw new ValidationError('prefix', 'is longer than 2048 bytes');
  return prefix;
}
