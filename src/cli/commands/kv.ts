import { createInterface } from 'node:readline/promises';
import { ValidationError } from '../../errors/store.js';
import { toPair } from '../../store/kv-pair.js';
import { pairJson, utf8OrUndefined, valueFields } from '../bytes.js';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandSpec, Invocation } from '../spec.js';
import { type Address, parseAddress, parseCount, parseDuration } from '../values.js';
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
  description:
    'Prints the value. Text (well-formed UTF-8) is printed with a newline after it; any other value ' +
    'is binary and written as its exact bytes, nothing added. --raw writes the exact bytes of any ' +
    'value. With --json the value is in "value" as text, or in "base64" when binary. Exit code 3 ' +
    'when the key is absent or expired.',
  options: {
    partition: partitionOption,
    raw: { type: 'boolean', description: 'write the exact bytes of the value, no newline added' },
    eventual: { type: 'boolean', description: 'eventually consistent read (half the read cost)' },
  },
  args: { min: 1, max: 1 },
  connects: true,
  examples: [
    'dynastore get config/flags/dark-mode',
    'dynastore get config/flags/dark-mode --json',
    'dynastore get assets/logo.png --raw > logo.png',
  ],
  async run({ args, values, out, connect }) {
    const addr = parseAddress(args[0] ?? '', str(values.partition), true);
    const { store } = await connect();
    const pair = await store
      .partition(addr.partition)
      .get(addr.key, { consistent: values.eventual !== true });
    if (!pair) throw new CliError(ExitCode.NotFound, `key not found: ${addr.partition}/${addr.key}`);
    if (out.json) {
      out.result(pairJson(pair), undefined);
      return ExitCode.Ok;
    }
    const bytes = pair.bytes();
    const text = values.raw === true ? undefined : utf8OrUndefined(bytes);
    if (text !== undefined) out.result(undefined, text);
    else await writeStdout(bytes);
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
    '--if-version the write is a compare-and-swap: exit code 4 when it loses. Stdin is binary-safe: ' +
    'its exact bytes are stored (as text when they are well-formed UTF-8, else as bytes), and ' +
    '`get --raw` gives them back.',
  options: {
    partition: partitionOption,
    ttl: {
      type: 'string',
      valueName: 'duration',
      description: 'expire the key after this long (e.g. 90 = 90s, 30m, 1h30m, 2d)',
    },
    'if-absent': { type: 'boolean', description: 'only create: fail if the key exists' },
    'if-version': { type: 'string', valueName: 'n', description: 'only replace version n of the key' },
  },
  args: { min: 1, max: 2 },
  connects: true,
  examples: [
    'dynastore put config/flags/dark-mode on',
    'dynastore put config/settings.json < settings.json',
    'dynastore put assets/logo.png < logo.png     # binary-safe',
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
    const value: string | Uint8Array = args[1] ?? (await readStdin());
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
    out.result(pairJson(pair), `${pair.partition}/${pair.key} version ${pair.version}`);
    return ExitCode.Ok;
  },
};

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
    'Deletes the key; deleting an absent key succeeds. With --if-version it deletes only that ' +
    'version: exit code 4 when the key changed, 3 when it is gone. With --prefix it deletes every ' +
    'key of the partition that starts with the prefix (the whole partition without one) and prints ' +
    'how many it deleted; it asks first when stdin is a terminal, and otherwise needs --yes.',
  options: {
    partition: partitionOption,
    'if-version': { type: 'string', valueName: 'n', description: 'only delete version n of the key' },
    prefix: { type: 'boolean', description: "delete every key starting with the argument's key part" },
    yes: { type: 'boolean', short: 'y', description: 'with --prefix: do not ask for confirmation' },
  },
  args: { min: 1, max: 1 },
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

async function removePrefix({ args, values, out, connect }: Invocation): Promise<number> {
  if (values['if-version'] !== undefined) throw new ValidationError('--if-version', 'excludes --prefix');
  const partitionFlag = str(values.partition);
  const addr = parseAddress(args[0] ?? '', partitionFlag, false);
  const interactive = process.stdin.isTTY === true && values.yes !== true;
  if (!interactive && values.yes !== true) {
    throw new CliError(
      ExitCode.Usage,
      `rm --prefix deletes every key under ${describePrefix(addr)}: pass --yes to confirm`,
    );
  }
  const { store } = await connect();
  const kv = store.partition(addr.partition);
  const keys: string[] = [];
  for await (const pair of kv.list({ prefix: addr.key })) keys.push(pair.key);
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
  return addr.key === '' ? `partition "${addr.partition}"` : `"${addr.partition}/${addr.key}"`;
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

/**
 * The name `ls` prints for a key: `<partition>/<key>`, which `get`, `put` and `rm` take as it is,
 * or the key alone when the partition came from `-p` (then `get -p <partition> <key>` takes it).
 *
 * @example
 * ```ts
 * listedName('cfg', 'flags/a', undefined); // 'cfg/flags/a'
 * listedName('a/b', 'c', 'a/b');           // 'c'
 * ```
 */
export function listedName(partition: string, key: string, partitionFlag: string | undefined): string {
  return partitionFlag === undefined ? `${partition}/${key}` : key;
}

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
  description:
    'Lists live keys in key order, one per line, as <partition>/<key>: each line can be passed to ' +
    'get, put or rm as it is (with -p, the partition is left out, as those commands then expect). ' +
    '-l adds version, expiry and value (JSON-quoted text, or base64:<...> when binary).',
  options: {
    partition: partitionOption,
    long: { type: 'boolean', short: 'l', description: 'also print version, expiry and value' },
    limit: { type: 'string', valueName: 'n', description: 'stop after n keys' },
  },
  args: { min: 1, max: 1 },
  connects: true,
  examples: [
    'dynastore ls config',
    'dynastore ls config/flags/ -l',
    'dynastore ls jobs --json',
    'dynastore ls config/flags/ | xargs -n1 dynastore get',
  ],
  async run({ args, values, out, connect }) {
    const partitionFlag = str(values.partition);
    const addr = parseAddress(args[0] ?? '', partitionFlag, false);
    const limitText = str(values.limit);
    const limit = limitText === undefined ? Number.POSITIVE_INFINITY : parseCount('--limit', limitText, 1);
    const { store } = await connect();
    let count = 0;
    for await (const pair of store.partition(addr.partition).list({ prefix: addr.key })) {
      const name = listedName(pair.partition, pair.key, partitionFlag);
      let text = name;
      if (values.long === true) {
        const v = valueFields(pair);
        const shown = 'value' in v ? JSON.stringify(v.value) : `base64:${v.base64}`;
        text = `${pair.version}\t${pair.expiresAt?.toISOString() ?? '-'}\t${name}\t${shown}`;
      }
      out.result(pairJson(pair), text);
      if (++count >= limit) break;
    }
    return ExitCode.Ok;
  },
};

/** A stand-in pair carrying only a version, for compare-and-swap by version number. */
function versionPair(partition: string, key: string, version: number) {
  return toPair({ partition, key, version, fields: {} });
}

/** Stdin's exact bytes: as text when they are well-formed UTF-8 (it encodes back to them), else bytes. */
async function readStdin(): Promise<string | Uint8Array> {
  if (process.stdin.isTTY)
    throw new CliError(ExitCode.Usage, 'no value: give one after the key, or pipe it on stdin');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const bytes = new Uint8Array(Buffer.concat(chunks));
  return utf8OrUndefined(bytes) ?? bytes;
}

function writeStdout(bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(bytes, (err) => (err ? reject(err) : resolve()));
  });
}
