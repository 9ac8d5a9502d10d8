import { iamPolicy, ValidationError } from '../../index.js';
import type { CommandSpec } from '../spec.js';
import { str } from './shared.js';

/**
 * `dynastore iam-policy --table NAME`: prints the least-privilege IAM policy (JSON) for dynastore
 * on one table, from the library's `iamPolicy` (one source for the CLI and the docs).
 *
 * @example
 * ```sh
 * dynastore iam-policy --table jobs --region eu-west-1 --account 123456789012 --prefix tenant-a/
 * ```
 */
export const iamPolicyCommand: CommandSpec = {
  name: 'iam-policy',
  summary: 'print the least-privilege IAM policy (JSON) for a table',
  usage: [
    'iam-policy --table <name> [--region <r>] [--account <id>] [--prefix <p>] [--no-watch] [--no-create]',
  ],
  description:
    'Prints an IAM policy document with exactly the DynamoDB actions dynastore calls on the table ' +
    '(items, DescribeTable, its stream, and what createTable / init need), no wildcard actions. ' +
    'Region and account default to * (any). With --prefix, every row read or written must have a ' +
    "partition key starting with the prefix (dynamodb:LeadingKeys): name the tenant's partitions " +
    'and its lock partition under it. Nothing is sent to AWS.',
  options: {
    table: {
      type: 'string',
      valueName: 'name',
      description: 'the table (default $DYNASTORE_TABLE or dynastore)',
    },
    region: { type: 'string', valueName: 'r', description: "the table's Region (default *)" },
    account: { type: 'string', valueName: 'id', description: 'the 12-digit account id (default *)' },
    prefix: { type: 'string', valueName: 'p', description: 'confine rows to partition keys starting with p' },
    'no-watch': { type: 'boolean', description: 'leave out the DynamoDB Streams reads (no watch)' },
    'no-create': { type: 'boolean', description: 'leave out what createTable and init need' },
  },
  args: { min: 0, max: 0 },
  connects: false,
  examples: [
    'dynastore iam-policy --table jobs --region eu-west-1 --account 123456789012',
    'dynastore iam-policy --table jobs --prefix tenant-a/ --no-create > policy.json',
  ],
  async run({ values, out }) {
    const prefix = str(values.prefix);
    const region = str(values.region);
    const account = str(values.account);
    let policy: ReturnType<typeof iamPolicy>;
    try {
      policy = iamPolicy({
        tableName: str(values.table) ?? process.env.DYNASTORE_TABLE ?? 'dynastore',
        ...(region !== undefined && { region }),
        ...(account !== undefined && { account }),
        ...(prefix !== undefined && { prefix }),
        watch: values['no-watch'] !== true,
        create: values['no-create'] !== true,
      });
    } catch (err) {
      // name the flag the user typed, not the library's option
      if (!(err instanceof ValidationError)) throw err;
      const flag = `--${err.field === 'tableName' ? 'table' : err.field}`;
      throw new ValidationError(flag, err.message.slice(err.field.length + 2));
    }
    out.result(policy, JSON.stringify(policy, null, 2));
    return 0;
  },
};
