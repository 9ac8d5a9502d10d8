import { ExitCode } from '../exit-codes.js';
import { follow } from '../follow.js';
import type { CommandSpec } from '../spec.js';
import { prefixFrom, prefixOption } from './shared.js';

/**
 * `dynastore members <group> [--watch]`: the live members of a work group and the shards each
 * says it holds.
 *
 * @example
 * ```sh
 * dynastore members encoders --json
 * ```
 */
export const membersCommand: CommandSpec = {
  name: 'members',
  summary: 'print the live members of a work group and the shards each holds',
  usage: ['members <group> [--prefix <prefix>] [--watch]'],
  description:
    'Prints one line per live member of the work group <group>: its id and the shards it says it ' +
    'holds (what it last published; `shards` reads the locks themselves). A member whose session ' +
    'is dead is not listed. With --watch, prints the whole list again on every change (a member ' +
    'that dies disappears no later than its shards may be taken over), until interrupted.',
  options: {
    watch: { type: 'boolean', description: 'print the list again on every change, until interrupted' },
    prefix: prefixOption,
  },
  args: { min: 1, max: 1 },
  connects: true,
  handlesSignals: true,
  examples: [
    'dynastore members encoders',
    'dynastore members encoders --watch --json',
    'dynastore members encoders --prefix tenant-a/',
  ],
  async run({ args, values, out, connect, signal }) {
    const name = args[0] ?? '';
    const { store } = await connect({ reportUnreachable: values.watch === true });
    const group = store.workGroup(name, prefixFrom(values));
    const print = (members: ReadonlyMap<string, readonly number[]>) => {
      if (values.watch === true) {
        const list = [...members].map(([id, owned]) => ({ id, owned }));
        const text = list.map((m) => `${m.id} (${m.owned.length})`).join(', ');
        out.result({ group: name, members: list }, `${name}: ${text || 'no live member'}`);
        return;
      }
      for (const [id, owned] of members)
        out.result({ group: name, member: id, owned }, `${id}\t${owned.length} shards\t${owned.join(',')}`);
    };
    if (values.watch !== true) {
      print(await group.published());
      return ExitCode.Ok;
    }
    // the watch reports nothing for an empty group: say so first
    print(await group.published());
    await follow(group.observe(), signal, print);
    return ExitCode.Ok;
  },
};
