import { hostname } from 'node:os';
import { type LeaseLostError, MAX_LEASE_MS, MAX_PERMITS } from '../../index.js';
import { startChild } from '../child.js';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandSpec, OptionSpec } from '../spec.js';
import { parseCount, parseDuration } from '../values.js';
import { prefixFrom, prefixOption, str } from './shared.js';

/**
 * The longest `--kill-after`: 24 days (a Node timer cannot wait longer; it would fire at once).
 *
 * @example
 * ```ts
 * parseDuration('--kill-after', '5s', { allowZero: true, maxMs: MAX_KILL_AFTER_MS });
 * ```
 */
export const MAX_KILL_AFTER_MS = 24 * 86_400_000;

/**
 * Options `lock` and `elect` share.
 *
 * @example
 * ```ts
 * const options = { ...holdOptions, owner: ownerOption };
 * ```
 */
export const holdOptions: Readonly<Record<string, OptionSpec>> = {
  lease: {
    type: 'string',
    valueName: 'duration',
    description: 'lease length; renewed every third of it (default 10s)',
  },
  wait: {
    type: 'string',
    valueName: 'duration',
    description: 'give up (exit 5) after waiting this long (default: forever)',
  },
  'no-wait': { type: 'boolean', description: 'try once; exit 5 at once if held' },
  'kill-after': {
    type: 'string',
    valueName: 'duration',
    description: "on loss: SIGTERM the command's group, then SIGKILL after this (default 2s)",
  },
  'max-clock-skew': {
    type: 'string',
    valueName: 'duration',
    description: 'largest clock difference between hosts (default 1s, at most a quarter of the lease)',
  },
  verbose: { type: 'boolean', short: 'v', description: 'report acquisition and loss on stderr' },
};

/**
 * The resolved `holdOptions`.
 *
 * @example
 * ```ts
 * const s: HoldSettings = holdSettings({ lease: '5s' });
 * ```
 */
export interface HoldSettings {
  readonly leaseMs: number;
  readonly maxClockSkewMs: number;
  readonly waitMs: number;
  readonly killAfterMs: number;
  readonly verbose: boolean;
}

/**
 * Reads `holdOptions` from parsed values.
 *
 * @example
 * ```ts
 * const s = holdSettings({ lease: '5s', 'no-wait': true }); // { leaseMs: 5000, waitMs: 0, ... }
 * ```
 */
export function holdSettings(values: Readonly<Record<string, string | boolean | undefined>>): HoldSettings {
  const lease = str(values.lease);
  const wait = str(values.wait);
  const killAfter = str(values['kill-after']);
  if (wait !== undefined && values['no-wait'] === true) {
    throw new CliError(ExitCode.Usage, '--wait and --no-wait exclude each other');
  }
  const leaseMs = lease === undefined ? 10_000 : parseDuration('--lease', lease, { maxMs: MAX_LEASE_MS });
  const skew = str(values['max-clock-skew']);
  return {
    leaseMs,
    maxClockSkewMs:
      skew === undefined
        ? Math.min(1_000, leaseMs / 4)
        : parseDuration('--max-clock-skew', skew, { allowZero: true }),
    waitMs:
      values['no-wait'] === true
        ? 0
        : wait === undefined
          ? Number.POSITIVE_INFINITY
          : parseDuration('--wait', wait, { allowZero: true }),
    killAfterMs:
      killAfter === undefined
        ? 2_000
        : parseDuration('--kill-after', killAfter, { allowZero: true, maxMs: MAX_KILL_AFTER_MS }),
    verbose: values.verbose === true,
  };
}

/**
 * Runs the command while `signal` (a lease's) holds: stops it on loss and reports exit 6.
 *
 * @example
 * ```ts
 * return runWhileHeld(inv.command, env, lease.signal, settings, (m) => out.error(m));
 * ```
 */
export async function runWhileHeld(
  command: readonly string[],
  env: Readonly<Record<string, string>>,
  held: AbortSignal,
  settings: HoldSettings,
  report: (message: string) => void,
): Promise<number> {
  if (held.aborted) throw held.reason;
  const child = startChild(command, env, { graceMs: settings.killAfterMs });
  let lost = false;
  const onLoss = () => {
    lost = true;
    const reason = held.reason as LeaseLostError | undefined;
    report(`${reason?.message ?? 'lease lost'}; stopping the command`);
    child.stop();
  };
  held.addEventListener('abort', onLoss, { once: true });
  const code = await child.exited;
  held.removeEventListener('abort', onLoss);
  return lost ? ExitCode.Lost : code;
}

/**
 * What `lock` and `elect` tell in `--help` about how the command runs.
 *
 * @example
 * ```ts
 * const description = `Runs the command. ${COMMAND_GROUP_HELP}`;
 * ```
 */
export const COMMAND_GROUP_HELP =
  'The command runs in its own process group and session, so that nothing it starts outlives the ' +
  'lease: when dynastore dies in any way (even kill -9), the group gets SIGTERM, then SIGKILL ' +
  'after --kill-after; when the command exits, what it left running in the group gets SIGTERM and ' +
  'SIGKILL right after. Its stdin, stdout and stderr are ' +
  "dynastore's; it has no controlling terminal, so Ctrl-C, Ctrl-\\ and SIGTERM, SIGHUP, " +
  'SIGUSR1/2, SIGWINCH sent to dynastore are passed on to its group, and Ctrl-Z stops both ' +
  '(`fg` resumes them; the lease is not renewed meanwhile and may be lost).';

/**
 * `dynastore lock <key> -- <command...>`: runs the command holding the lock.
 *
 * @example
 * ```sh
 * dynastore lock jobs/nightly -- ./nightly.sh
 * ```
 */
export const lockCommand: CommandSpec = {
  name: 'lock',
  summary: 'run a command while holding a lock (like flock)',
  usage: ['lock <key> [options] -- <command> [args...]'],
  description:
    'Waits for the lock, runs the command with DYNASTORE_FENCING_TOKEN (and DYNASTORE_LOCK_KEY, ' +
    'DYNASTORE_LOCK_OWNER) in its environment, renews the lease while it runs, releases it when it ' +
    'exits and exits with its code. If the lease is lost, the command is stopped (SIGTERM, then ' +
    'SIGKILL after --kill-after) and the exit code is 6. Pass the fencing token to what the command ' +
    'writes to: a newer holder has a higher one. With -n N it takes one of the N permits of the ' +
    'semaphore <key> instead (a name apart from the lock <key>). ' +
    COMMAND_GROUP_HELP,
  options: {
    ...holdOptions,
    owner: { type: 'string', valueName: 'id', description: 'owner id others see (default host:pid:random)' },
    prefix: prefixOption,
    permits: {
      type: 'string',
      short: 'n',
      valueName: 'n',
      description: 'a semaphore: up to n holders at once; every process must pass the same n (default 1)',
    },
  },
  args: { min: 1, max: 1 },
  runsCommand: true,
  connects: true,
  handlesSignals: true,
  examples: [
    'dynastore lock jobs/nightly -- ./nightly.sh',
    'dynastore lock jobs/nightly --no-wait -- ./nightly.sh || echo "already running"',
    'dynastore lock reports --lease 30s --wait 5m -- sh -c \'make-report --fence "$DYNASTORE_FENCING_TOKEN"\'',
    'dynastore lock encoders -n 3 -- ./encode.sh   # at most 3 at once',
  ],
  async run({ args, values, command, out, connect, signal }) {
    const key = args[0] ?? '';
    const settings = holdSettings(values);
    const owner = str(values.owner);
    const permitsText = str(values.permits);
    const permits = permitsText === undefined ? 1 : parseCount('--permits', permitsText, 1, MAX_PERMITS);
    const { store } = await connect({ reportUnreachable: settings.verbose && settings.waitMs !== 0 });
    const options = {
      leaseMs: settings.leaseMs,
      maxClockSkewMs: settings.maxClockSkewMs,
      ...(owner !== undefined && { owner }),
      ...prefixFrom(values),
    };
    const lock = permits === 1 ? store.lock(key, options) : store.semaphore(key, { ...options, permits });
    const lease =
      settings.waitMs === 0
        ? await lock.tryAcquire()
        : await lock.acquire({
            signal,
            ...(Number.isFinite(settings.waitMs) && { waitMs: settings.waitMs }),
          });
    if (!lease) {
      if ('holders' in lock) {
        const owners = await lock.holders().then(
          (hs) => hs.map((h) => `"${h.owner}"`).join(', '),
          () => '',
        );
        throw new CliError(
          ExitCode.NotAcquired,
          `all ${permits} permits of "${key}" are held${owners ? ` (by ${owners})` : ''}`,
        );
      }
      const holder = await lock.holder().catch(() => undefined);
      throw new CliError(
        ExitCode.NotAcquired,
        `lock "${key}" is held${holder ? ` by "${holder.owner}"` : ''}`,
      );
    }
    try {
      if (settings.verbose) out.note(`dynastore: acquired lock "${key}" (token ${lease.token})`);
      const env = {
        DYNASTORE_FENCING_TOKEN: lease.token.toString(),
        DYNASTORE_LOCK_KEY: key,
        DYNASTORE_LOCK_OWNER: lease.owner,
      };
      return await runWhileHeld(command, env, lease.signal, settings, (m) => out.error(m));
    } finally {
      await lease.release().catch(() => undefined);
    }
  },
};

/**
 * `host:pid`, the default candidate id of `elect`.
 *
 * @example
 * ```ts
 * defaultCandidateId(); // 'web-1:4242'
 * ```
 */
export function defaultCandidateId(): string {
  return `${hostname()}:${process.pid}`;
}
