import { ExitCode } from '../exit-codes.js';
import { follow } from '../follow.js';
import type { CommandSpec } from '../spec.js';
import { parseCount } from '../values.js';
import { prefixFrom, prefixOption, str } from './shared.js';

/**
 * `dynastore shards <group> [--shards N] [--watch]`: who owns each shard of a work group.
 *
 * @example
 * ```sh
 * dynastore shards encoders --json
 * ```
 */
export const shardsCommand: CommandSpec = {
  name: 'shards',
  summary: 'print which member of a work group owns each shard',
  usage: ['shards <group> [--shards <n>] [--prefix <prefix>] [--watch]'],
  description:
    'Prints one line per shard of the work group <group>: its number and the member that holds ' +
    'its lock now ("free" when nobody does), read from the shard locks. The shard count is the one ' +
    'the live members publish, or --shards. With --watch, then prints a line each time a shard ' +
    'changes hands, as the members publish it, until interrupted.',
  options: {
    shards: {
      type: 'string',
      valueName: 'n',
      description: "the group's shard count (default: as its members publish it)",
    },
    watch: { type: 'boolean', description: 'then print each change of owner, until interrupted' },
    prefix: prefixOption,
  },
  args: { min: 1, max: 1 },
  connects: true,
  handlesSignals: true,
  examples: [
    'dynastore shards encoders',
    'dynastore shards encoders --watch --json',
    'dynastore shards encoders --shards 64 --prefix tenant-a/',
  ],
  async run({ args, values, out, connect, signal }) {
    const name = args[0] ?? '';
    const shardsText = str(values.shards);
    const shards = shardsText === undefined ? undefined : parseCount('--shards', shardsText, 1);
    const { store } = await connect({ reportUnreachable: values.watch === true });
    const group = store.workGroup(name, { ...(shards !== undefined && { shards }), ...prefixFrom(values) });
    const assignment = await group.assignment();
    const count = shards ?? Math.max(0, ...[...assignment.keys()].map((s) => s + 1));
    const line = (shard: number, member: string | undefined) =>
      out.result({ group: name, shard, member: member ?? null }, `${shard}\t${member ?? 'free'}`);
    for (let shard = 0; shard < count; shard++) line(shard, assignment.get(shard));
    if (values.watch !== true) return ExitCode.Ok;
    const shown = new Map(assignment);
    await follow(group.observe(), signal, (members) => {
      const now = new Map<number, string>();
      for (const [id, owned] of members) for (const s of owned) now.set(s, id);
      for (const shard of new Set([...shown.keys(), ...now.keys()])) {
        if (shown.get(shard) === now.get(shard)) continue;
        line(shard, now.get(shard));
        if (now.has(shard)) shown.set(shard, now.get(shard) as string);
        else shown.delete(shard);
      }
    });
    return ExitCode.Ok;
  },
};
