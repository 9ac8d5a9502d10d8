import { MAX_TTL_MS } from '../../index.js';
import { pairJson, utf8OrUndefined } from '../bytes.js';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandSpec } from '../spec.js';
import { explainKeySchema } from '../table-check.js';
import { formatAddress, parseAddress, parseCount, parseDuration } from '../values.js';
import { partitionOption, str, versionPair } from './shared.js';

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
  usage: ['get <partition>/<key>', 'get -p <partition> <key>'],
  description:
    'Text (well-formed UTF-8) is printed as it is, followed by one newline even when it ends with ' +
    'one: "hi" prints hi and a newline, "hi\\n" prints hi and two newlines. Any other value is ' +
    'binary and written as its exact bytes, nothing added. --raw writes the exact bytes of any ' +
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
    const addr = parseAddress(args[0], str(values.partition), true);
    const conn = await connect();
    const pair = await explainKeySchema(conn, () =>
      conn.store.partition(addr.partition).get(addr.key, { consistent: values.eventual !== true }),
    );
    if (!pair)
      throw new CliError(ExitCode.NotFound, `key not found: ${formatAddress(addr.partition, addr.key)}`);
    if (out.json) {
      out.result(pairJson(pair), undefined);
      return ExitCode.Ok;
    }
    const bytes = pair.bytes();
    const text = values.raw === true ? undefined : utf8OrUndefined(bytes);
    // always one newline after text, so that "hi" and "hi\n" print differently
    if (text !== undefined) out.result(undefined, `${text}\n`);
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
    'The value is read from stdin when omitted. Prints the new version. With --if-absent or ' +
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
    const addr = parseAddress(args[0], str(values.partition), true);
    const ttl = str(values.ttl);
    const ttlMs = ttl === undefined ? undefined : parseDuration('--ttl', ttl, { maxMs: MAX_TTL_MS });
    const ifVersion = str(values['if-version']);
    const version = ifVersion === undefined ? undefined : parseCount('--if-version', ifVersion, 1);
    if (version !== undefined && values['if-absent'] === true) {
      throw new CliError(ExitCode.Usage, '--if-absent and --if-version exclude each other');
    }
    const value: string | Uint8Array = args[1] ?? (await readStdin());
    const conn = await connect();
    const kv = conn.store.partition(addr.partition);
    const options = ttlMs === undefined ? {} : { ttlMs };
    const pair = await explainKeySchema(conn, async () =>
      version !== undefined
        ? await kv.atomicPut(addr.key, value, {
            ...options,
            previous: versionPair(addr.partition, addr.key, version),
          })
        : values['if-absent'] === true
          ? await kv.atomicPut(addr.key, value, options)
          : await kv.put(addr.key, value, options),
    );
    out.result(pairJson(pair), `${formatAddress(pair.partition, pair.key)} version ${pair.version}`);
    return ExitCode.Ok;
  },
};

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
