import type { CommandSpec } from '../spec.js';
import { devCommand, initCommand } from './dev.js';
import { electCommand, leaderCommand } from './elect.js';
import { holderCommand } from './holder.js';
import { iamPolicyCommand } from './iam-policy.js';
import { getCommand, putCommand } from './kv.js';
import { lockCommand } from './lock.js';
import { lsCommand } from './ls.js';
import { membersCommand } from './members.js';
import { rmCommand } from './rm.js';
import { shardsCommand } from './shards.js';
import { watchCommand } from './watch.js';

/**
 * Every command of the CLI, in the order `--help` lists them.
 *
 * @example
 * ```ts
 * const get = commands.find((c) => c.name === 'get');
 * ```
 */
export const commands: readonly CommandSpec[] = [
  devCommand,
  initCommand,
  getCommand,
  putCommand,
  rmCommand,
  lsCommand,
  watchCommand,
  lockCommand,
  holderCommand,
  electCommand,
  leaderCommand,
  iamPolicyCommand,
  membersCommand,
  shardsCommand,
];
