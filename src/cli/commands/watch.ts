import type { WatchEvent } from '../../index.js';
import { valueFields } from '../bytes.js';
import { ExitCode } from '../exit-codes.js';
import { follow } from '../follow.js';
import type { CommandSpec } from '../spec.js';
import { formatAddress, parseAddress, parseCount } from '../values.js';
import { partitionOption, str } from './shared.js';

/**
 * One watch event as a line of text.
 *
 * @example
 * ```ts
 * describeEvent(event); // 'config/flags/dark = "on" (v3, write)'
 * ```
 */
export function describeEvent(e: WatchEvent): string {
  const name = formatAddress(e.partition, e.key);
  if (e.type === 'put') return `${name} = ${JSON.stringify(e.pair.text())} (v${e.pair.version}, ${e.cause})`;
  if (e.cause === 'snapshot') return `${name} is absent (snapshot)`;
  return `${name} ${e.cause === 'expiry' ? 'expired' : 'deleted'} (${e.cause})`;
}

/**
 * One watch event as a plain object for `--json`.
 *
 * @example
 * ```ts
 * eventJson(event); // { type: 'put', cause: 'write', partition: 'config', key: 'a', version: 3, value: 'on' }
 * ```
 */
export function eventJson(e: WatchEvent): Record<string, unknown> {
  return {
    type: e.type,
    cause: e.cause,
    partition: e.partition,
    key: e.key,
    ...(e.pair && {
      version: e.pair.version,
      ...valueFields(e.pair),
      ...(e.pair.expiresAt && { expiresAt: e.pair.expiresAt.toISOString() }),
    }),
  };
}

/**
 * `dynastore watch <partition>/<key>`: prints changes as they happen.
 *
 * @example
 * ```sh
 * dynastore watch config/flags/ --prefix
 * ```
 */
export const watchCommand: CommandSpec = {
  name: 'watch',
  summary: 'print the changes of a key (or of every key under a prefix) as they happen',
  usage: ['watch <partition>/<key>', 'watch <partition>[/<prefix>] --prefix'],
  description:
    'Prints the current state first (cause "snapshot"), then one line per change, in write order per ' +
    'key, until interrupted (exit code 130 on SIGINT, 143 on SIGTERM) or --count events. Deletes by TTL ' +
    'say "expiry". Reads the table\'s DynamoDB stream.',
  options: {
    partition: partitionOption,
    prefix: { type: 'boolean', description: "watch every key starting with the argument's key part" },
    'changes-only': { type: 'boolean', description: 'skip the snapshot: print only changes' },
    count: { type: 'string', valueName: 'n', description: 'exit after printing n events' },
  },
  args: { min: 0, max: 1 },
  connects: true,
  handlesSignals: true,
  examples: [
    'dynastore watch config/flags/dark-mode',
    'dynastore watch config/flags/ --prefix --json',
    'dynastore watch jobs --prefix --changes-only --count 1   # wait for the next change',
  ],
  async run({ args, values, out, connect, signal }) {
    const prefix = values.prefix === true;
    const addr = parseAddress(args[0], str(values.partition), !prefix);
    const countText = str(values.count);
    const limit = countText === undefined ? Number.POSITIVE_INFINITY : parseCount('--count', countText, 1);
    const changesOnly = values['changes-only'] === true;
    const { store } = await connect({ reportUnreachable: true });
    const kv = store.partition(addr.partition);
    const events = prefix ? kv.watchPrefix(addr.key) : kv.watch(addr.key);
    let printed = 0;
    // until --count events were printed; interrupted: rejects with the signal's reason (130 / 143)
    await follow(events, signal, (e) => {
      if (changesOnly && e.cause === 'snapshot') return false;
      out.result(eventJson(e), describeEvent(e));
      return ++printed >= limit;
    });
    return ExitCode.Ok;
  },
};
