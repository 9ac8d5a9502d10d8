import { createInterface } from 'node:readline/promises';
import { ValidationError } from '../../index.js';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandSpec, Invocation } from '../spec.js';
import { explainKeySchema } from '../table-check.js';
import { type Address, formatAddress, parseAddress, parseCount } from '../values.js';
import { partitionOption, str, versionPair } from './shared.js';

/**
 * `dynastore rm <partition>/<key>`: deletes a key (idempotent); `--prefix`: every key under a prefix.
 *
 * @example
 * ```sh
 * dynastore rm config/flags/dark-mode
 * dynastore rm config/flags/ --prefix --yes
 * ```
 */
export const rmCommand: CommandSpec = {
  name: 'rm',
  summary: 'delete a key (--prefix: every key under a prefix)',
  usage: ['rm <partition>/<key>', 'rm <partition>[/<prefix>] --prefix [--yes]'],
  description:
    'Deleting an absent key succeeds. With --if-version it deletes only that ' +
    'version: exit code 4 when the key changed, 3 when it is gone. With --prefix it deletes every ' +
    'key of the partition that starts with the prefix (the whole partition without one) and prints ' +
    'how many it deleted; it asks first when stdin is a terminal, and otherwise needs --yes.',
  options: {
    partition: partitionOption,
    'if-version': { type: 'string', valueName: 'n', description: 'only delete version n of the key' },
    prefix: { type: 'boolean', description: "delete every key starting with the argument's key part" },
    yes: { type: 'boolean', short: 'y', description: 'with --prefix: do not ask for confirmation' },
  },
  args: { min: 0, max: 1 },
  connects: true,
  examples: [
    'dynastore rm config/flags/dark-mode',
    'dynastore rm jobs/nightly --if-version 3',
    'dynastore rm config/flags/ --prefix          # asks: delete 12 keys under config/flags/?',
    'dynastore rm scratch --prefix --yes           # the whole partition, no question',
  ],
  async run(inv) {
    const { args, values, out, connect } = inv;
    if (values.prefix === true) return removePrefix(inv);
    if (values.yes === true) throw new ValidationError('--yes', 'only applies to --prefix');
    const addr = parseAddress(args[0], str(values.partition), true);
    const ifVersion = str(values['if-version']);
    const version = ifVersion === undefined ? undefined : parseCount('--if-version', ifVersion, 1);
    const conn = await connect();
    const kv = conn.store.partition(addr.partition);
    const deleted = await explainKeySchema(conn, async () => {
      if (version === undefined) return kv.delete(addr.key);
      await kv.atomicDelete(addr.key, versionPair(addr.partition, addr.key, version));
      return true;
    });
    const name = formatAddress(addr.partition, addr.key);
    out.result(
      { partition: addr.partition, key: addr.key, deleted },
      deleted ? `deleted ${name}` : `${name} was absent`,
    );
    return ExitCode.Ok;
  },
};

async function removePrefix({ args, values, out, connect }: Invocation): Promise<number> {
  if (values['if-version'] !== undefined) throw new ValidationError('--if-version', 'excludes --prefix');
  const partitionFlag = str(values.partition);
  const addr = parseAddress(args[0], partitionFlag, false);
  const interactive = process.stdin.isTTY === true && values.yes !== true;
  if (!interactive && values.yes !== true) {
    throw new CliError(
      ExitCode.Usage,
      `rm --prefix deletes every key under ${describePrefix(addr)}: pass --yes to confirm`,
    );
  }
  const conn = await connect();
  const kv = conn.store.partition(addr.partition);
  const keys: string[] = [];
  await explainKeySchema(conn, async () => {
    for await (const pair of kv.list({ prefix: addr.key })) keys.push(pair.key);
  });
  if (interactive && keys.length > 0) {
    const answer = await ask(
      `delete ${keys.length} key${keys.length === 1 ? '' : 's'} under ${describePrefix(addr)}? [y/N] `,
    );
    if (!/^y(es)?$/i.test(answer.trim())) {
      out.result({ partition: addr.partition, prefix: addr.key, deleted: 0 }, 'nothing deleted');
      return ExitCode.Ok;
    }
  }
  let deleted = 0;
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++] as string;
      if (await kv.delete(key)) deleted++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, keys.length) }, worker));
  out.result(
    { partition: addr.partition, prefix: addr.key, deleted },
    `deleted ${deleted} key${deleted === 1 ? '' : 's'}`,
  );
  return ExitCode.Ok;
}

function describePrefix(addr: Address): string {
  return addr.key === ''
    ? `partition "${formatAddress(addr.partition, '')}"`
    : `"${formatAddress(addr.partition, addr.key)}"`;
}

/** Asks on stderr, reads one line from the terminal. */
async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}
