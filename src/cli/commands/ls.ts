import type { KVPair } from '../../index.js';
import { pairJson, valueFields } from '../bytes.js';
import type { Connection } from '../connect.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandSpec } from '../spec.js';
import { explainKeySchema } from '../table-check.js';
import { formatAddress, parseAddress, parseCount } from '../values.js';
import { partitionOption, str } from './shared.js';

/**
 * The name `ls` prints for a key: `<partition>/<key>` as {@link formatAddress} writes it, which
 * `get`, `put` and `rm` take as it is, or the key alone when the partition came from `-p` (then
 * `get -p <partition> <key>` takes it).
 *
 * @example
 * ```ts
 * listedName('cfg', 'flags/a', undefined); // 'cfg/flags/a'
 * listedName('a/b', 'c', undefined);       // 'a%2Fb/c'
 * listedName('a/b', 'c', 'a/b');           // 'c'
 * ```
 */
export function listedName(partition: string, key: string, partitionFlag: string | undefined): string {
  return partitionFlag === undefined ? formatAddress(partition, key) : key;
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
  usage: ['ls <partition>[/<prefix>]', 'ls -p <partition> [<prefix>]'],
  description:
    'Live keys in key order, one per line, as <partition>/<key>: each line can be passed to ' +
    'get, put or rm as it is (with -p, the partition is left out, as those commands then expect). ' +
    '-l adds version, expiry and value (JSON-quoted text, or base64:<...> when binary).',
  options: {
    partition: partitionOption,
    long: { type: 'boolean', short: 'l', description: 'also print version, expiry and value' },
    limit: { type: 'string', valueName: 'n', description: 'stop after n keys' },
  },
  args: { min: 0, max: 1 },
  connects: true,
  examples: [
    'dynastore ls config',
    'dynastore ls config/flags/ -l',
    'dynastore ls jobs --json',
    'dynastore ls config/flags/ | xargs -n1 dynastore get',
  ],
  async run({ args, values, out, connect }) {
    const partitionFlag = str(values.partition);
    const addr = parseAddress(args[0], partitionFlag, false);
    const limitText = str(values.limit);
    const limit = limitText === undefined ? Number.POSITIVE_INFINITY : parseCount('--limit', limitText, 1);
    const conn = await connect();
    let count = 0;
    const pairs = conn.store.partition(addr.partition).list({ prefix: addr.key });
    for await (const pair of checkedPairs(conn, pairs)) {
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

/** `pairs`, with a key schema mismatch explained (see {@link explainKeySchema}). */
async function* checkedPairs(conn: Connection, pairs: AsyncGenerator<KVPair, void, undefined>) {
  try {
    for (;;) {
      const next = await explainKeySchema(conn, () => pairs.next());
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await pairs.return();
  }
}
