import { toPair } from '../../store/kv-pair.js';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandSpec } from '../spec.js';
import { parseAddress, parseCount, parseDuration } from '../values.js';
import { partitionOption, str } from './shared.js';

/**
 * `dynastore get <partition>/<key>`: prints the value.
 *
 * @example
 * ```sh
 * dynastore get config/flags/dark-mode
 * ```
 */
export const getCommand: CommandSpec = {
  name: 'get',
  summary: 'print the value of a key',
  usage: ['get <partition>/<key>'],
  description: 'Prints the value (as UTF-8 text). Exit code 3 when the key is absent or expired.',
  options: {
    partition: partitionOption,
    eventual: { type: 'boolean', description: 'eventually consistent read (half the read cost)' },
  },
  args: { min: 1, max: 1 },
  connects: true,
  examples: ['dynastore get config/flags/dark-mode', 'dynastore get config/flags/dark-mode --json'],
  async run({ args, values, out, connect }) {
    const addr = parseAddress(args[0] ?? '', str(values.partition), true);
    const { store } = await connect();
    const pair = await store
      .partition(addr.partition)
      .get(addr.key, { consistent: values.eventual !== true });
    if (!pair) throw new CliError(ExitCode.NotFound, `key not found: ${addr.partition}/${addr.key}`);
    out.result(pair.toJSON(), pair.text());
    return ExitCode.Ok;
  },
};

/**
 * `dynastore put <partition>/<key> [value]`: writes a value (from stdin without one).
 *
 * @example
 * ```sh
 * dynastore put config/flags/dark-mode on --ttl 1h
 * ```
 */
export const putCommand: CommandSpec = {
  name: 'put',
  summary: 'write the value of a key',
  usage: ['put <partition>/<key> <value>', 'put <partition>/<key> < file'],
  description:
    'Writes the value (read from stdin when omitted). Prints the new version. With --if-absent or ' +
    '--if-version the write is a compare-and-swap: exit code 4 when it loses.',
  options: {
    partition: partitionOption,
    ttl: {
      type: 'string',
      valueName: 'duration',
      description: 'expire the key after this long (e.g. 30s, 1h)',
    },
    'if-absent': { type: 'boolean', description: 'only create: fail if the key exists' },
    'if-version': { type: 'string', valueName: 'n', description: 'only replace version n of the key' },
  },
  args: { min: 1, max: 2 },
  connects: true,
  examples: [
    'dynastore put config/flags/dark-mode on',
    'dynastore put config/settings.json < settings.json',
    'dynastore put jobs/nightly running --if-absent --ttl 10m',
  ],
  async run({ args, values, out, connect }) {
    const addr = parseAddress(args[0] ?? '', str(values.partition), true);
    const ttl = str(values.ttl);
    const ttlMs = ttl === undefined ? undefined : parseDuration('--ttl', ttl);
    const ifVersion = str(values['if-version']);
    const version = ifVersion === undefined ? undefined : parseCount('--if-version', ifVersion, 1);
    if (version !== undefined && values['if-absent'] === true) {
      throw new CliError(ExitCode.Usage, '--if-absent and --if-version exclude each other');
    }
    const value = args[1] ?? (await readStdin());
    const { store } = await connect();
    const kv = store.partition(addr.partition);
    const options = ttlMs === undefined ? {} : { ttlMs };
    const pair =
      version !== undefined
        ? await kv.atomicPut(addr.key, value, {
            ...options,
            previous: versionPair(addr.partition, addr.key, version),
          })
        : values['if-absent'] === true
          ? await kv.atomicPut(addr.key, value, options)
          : await kv.put(addr.key, value, options);
    out.result(pair.toJSON(), `${pair.partition}/${pair.key} version ${pair.version}`);
    return ExitCode.Ok;
  },
};

/**
 * `dynastore rm <partition>/<key>`: deletes a key (idempotent).
 *
 * @example
 * ```sh
 * dynastore rm config/flags/dark-mode
 * ```
 */
export const rmCommand: CommandSpec = {
  name: 'rm',
  summary: 'delete a key',
  usage: ['rm <partition>/<key>'],
  description:
    'Deletes the key; deleting an absent key succeeds. With --if-version it deletes only that ' +
    'version: exit code 4 when the key changed, 3 when it is gone.',
  options: {
    partition: partitionOption,
    'if-version': { type: 'string', valueName: 'n', description: 'only delete version n of the key' },
  },
  args: { min: 1, max: 1 },
  connects: true,
  examples: ['dynastore rm config/flags/dark-mode', 'dynastore rm jobs/nightly --if-version 3'],
  async run({ args, values, out, connect }) {
    const addr = parseAddress(args[0] ?? '', str(values.partition), true);
    const ifVersion = str(values['if-version']);
    const version = ifVersion === undefined ? undefined : parseCount('--if-version', ifVersion, 1);
    const { store } = await connect();
    const kv = store.partition(addr.partition);
    let deleted = true;
    if (version !== undefined)
      await kv.atomicDelete(addr.key, versionPair(addr.partition, addr.key, version));
    else deleted = await kv.delete(addr.key);
    const name = `${addr.partition}/${addr.key}`;
    out.result(
      { partition: addr.partition, key: addr.key, deleted },
      deleted ? `deleted ${name}` : `${name} was absent`,
    );
    return ExitCode.Ok;
  },
};

/**
 * `dynastore ls <partition>[/<prefix>]`: lists keys in order.
 *
 * @example
 * ```sh
 * dynastore ls config/flags/ -l
 * ```
 */
export const lsCommand: CommandSpec = {
  name: 'ls',
  summary: 'list the keys of a partition (under a prefix)',
  usage: ['ls <partition>[/<prefix>]'],
  description: 'Lists live keys in key order, one per line; -l adds version, expiry and value.',
  options: {
    partition: partitionOption,
    long: { type: 'boolean', short: 'l', description: 'also print version, expiry and value (JSON-quoted)' },
    limit: { type: 'string', valueName: 'n', description: 'stop after n keys' },
  },
  args: { min: 1, max: 1 },
  connects: true,
  examples: ['dynastore ls config', 'dynastore ls config/flags/ -l', 'dynastore ls jobs --json'],
  async run({ args, values, out, connect }) {
    const addr = parseAddress(args[0] ?? '', str(values.partition), false);
    const limitText = str(values.limit);
    const limit = limitText === undefined ? Number.POSITIVE_INFINITY : parseCount('--limit', limitText, 1);
    const { store } = await connect();
    let count = 0;
    for await (const pair of store.partition(addr.partition).list({ prefix: addr.key })) {
      const long = `${pair.version}\t${pair.expiresAt?.toISOString() ?? '-'}\t${pair.key}\t${JSON.stringify(pair.text())}`;
      out.result(pair.toJSON(), values.long === true ? long : pair.key);
      if (++count >= limit) break;
    }
    return ExitCode.Ok;
  },
};

/** A stand-in pair carrying only a version, for compare-and-swap by version number. */
function versionPair(partition: string, key: string, version: number) {
  return toPair({ partition, key, version, fields: {} });
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new CliError(ExitCode.Usage, 'no value: give one after the key, or pipe it on stdin');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
