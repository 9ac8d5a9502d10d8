import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { untilAborted } from '../keep-alive.js';
import type { CommandSpec } from '../spec.js';
import { COMMAND_GROUP_HELP, defaultCandidateId, holdOptions, holdSettings, runWhileHeld } from './lock.js';
import { prefixFrom, prefixOption, str } from './shared.js';

/**
 * `dynastore elect <name> -- <command...>`: runs the command only while this process leads.
 *
 * @example
 * ```sh
 * dynastore elect scheduler -- ./scheduler
 * ```
 */
export const electCommand: CommandSpec = {
  name: 'elect',
  summary: 'campaign for leadership and run a command while leading',
  usage: ['elect <name> [options] -- <command> [args...]'],
  description:
    'Campaigns in the election <name>; once elected, runs the command with DYNASTORE_TERM (also as ' +
    'DYNASTORE_FENCING_TOKEN), DYNASTORE_ELECTION and DYNASTORE_LEADER_ID in its environment, resigns ' +
    'when it exits and exits with its code. If leadership is lost, the command is stopped and the exit ' +
    'code is 6. Start it on every node: one runs the command, the others wait to take over. ' +
    COMMAND_GROUP_HELP,
  options: {
    ...holdOptions,
    id: { type: 'string', valueName: 'id', description: 'candidate id, unique per node (default host:pid)' },
    prefix: prefixOption,
  },
  args: { min: 1, max: 1 },
  runsCommand: true,
  connects: true,
  handlesSignals: true,
  examples: [
    'dynastore elect scheduler -- ./scheduler',
    'dynastore elect scheduler --id "$HOSTNAME" --lease 5s -- node scheduler.js',
  ],
  async run({ args, values, command, out, connect, signal }) {
    const name = args[0] ?? '';
    const settings = holdSettings(values);
    const id = str(values.id) ?? defaultCandidateId();
    const { store } = await connect({ reportUnreachable: settings.verbose && settings.waitMs !== 0 });
    const election = store.election(name, {
      leaseMs: settings.leaseMs,
      maxClockSkewMs: settings.maxClockSkewMs,
      ...prefixFrom(values),
    });
    const leadership =
      settings.waitMs === 0
        ? await election.tryCampaign(id)
        : await election.campaign(id, {
            signal,
            ...(Number.isFinite(settings.waitMs) && { waitMs: settings.waitMs }),
          });
    if (!leadership) {
      const leader = await election.leader().catch(() => undefined);
      throw new CliError(
        ExitCode.NotAcquired,
        `election "${name}" is led${leader ? ` by "${leader.id}"` : ''}`,
      );
    }
    try {
      if (settings.verbose) out.note(`dynastore: elected in "${name}" as "${id}" (term ${leadership.term})`);
      const env = {
        DYNASTORE_ELECTION: name,
        DYNASTORE_LEADER_ID: id,
        DYNASTORE_TERM: leadership.term.toString(),
        DYNASTORE_FENCING_TOKEN: leadership.term.toString(),
      };
      return await runWhileHeld(command, env, leadership.signal, settings, (m) => out.error(m));
    } finally {
      await leadership.resign().catch(() => undefined);
    }
  },
};

/**
 * `dynastore leader <name>`: prints who leads (and with `--follow`, every change).
 *
 * @example
 * ```sh
 * dynastore leader scheduler --follow
 * ```
 */
export const leaderCommand: CommandSpec = {
  name: 'leader',
  summary: 'print the leader of an election (--follow: every change)',
  usage: ['leader <name> [--follow]'],
  description:
    'Prints "<id> <term>" of the current leader; exit code 3 when nobody leads. With --follow, prints ' +
    'a line each time the leader changes ("-" while nobody leads) until interrupted (exit code 130 on ' +
    'SIGINT, 143 on SIGTERM).',
  options: {
    follow: { type: 'boolean', short: 'f', description: 'keep printing leader changes' },
    prefix: prefixOption,
  },
  args: { min: 1, max: 1 },
  connects: true,
  handlesSignals: true,
  examples: ['dynastore leader scheduler', 'dynastore leader scheduler --follow --json'],
  async run({ args, values, out, connect, signal }) {
    const name = args[0] ?? '';
    const { store } = await connect({ reportUnreachable: values.follow === true });
    const election = store.election(name, prefixFrom(values));
    const print = (leader: { id: string; term: bigint } | undefined) =>
      out.result(
        { election: name, leader: leader ? { id: leader.id, term: leader.term } : null },
        leader ? `${leader.id} ${leader.term}` : '-',
      );
    if (values.follow !== true) {
      const leader = await election.leader();
      if (!leader) throw new CliError(ExitCode.NotFound, `nobody leads "${name}"`);
      print(leader);
      return ExitCode.Ok;
    }
    let failure: { error: unknown } | undefined;
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const sub = election.observe().subscribe({
      next: print,
      error: (error: unknown) => {
        failure = { error };
        stop.abort();
      },
    });
    await untilAborted(stop.signal);
    sub.unsubscribe();
    signal.removeEventListener('abort', onAbort);
    if (failure) throw failure.error;
    // Interrupted: the runner turns the signal into exit code 130 (SIGINT) or 143 (SIGTERM).
    throw signal.reason;
  },
};
