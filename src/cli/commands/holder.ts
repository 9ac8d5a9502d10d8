import { type LockHolder, MAX_PERMITS } from '../../index.js';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandSpec } from '../spec.js';
import { parseCount } from '../values.js';
import { prefixFrom, prefixOption } from './shared.js';

/**
 * One holder as a line of text: owner, token, lease and expiry.
 *
 * @example
 * ```ts
 * describeHolder(h); // '"web-1:42:x1" token 7, lease 10000ms, expires 2026-01-01T00:00:10.000Z'
 * ```
 */
export function describeHolder(h: LockHolder): string {
  const lease = `"${h.owner}" token ${h.token}, lease ${h.leaseMs}ms, expires ${h.expiresAt.toISOString()}`;
  return h.session === undefined ? lease : `${lease} (session ${h.session})`;
}

/**
 * One holder as a plain object for `--json`.
 *
 * @example
 * ```ts
 * holderJson('jobs/nightly', h); // { lock: 'jobs/nightly', owner, token: 7n, expiresAt, leaseMs }
 * ```
 */
export function holderJson(name: string, h: LockHolder): Record<string, unknown> {
  return {
    lock: name,
    key: h.key,
    owner: h.owner,
    token: h.token,
    expiresAt: h.expiresAt.toISOString(),
    leaseMs: h.leaseMs,
    ...(h.data !== undefined && { data: h.data }),
    ...(h.session !== undefined && { session: h.session }),
  };
}

/**
 * `dynastore holder <key> [-n N]`: who holds a lock (or the permits of a semaphore).
 *
 * @example
 * ```sh
 * dynastore holder jobs/nightly --json
 * ```
 */
export const holderCommand: CommandSpec = {
  name: 'holder',
  summary: 'print who holds a lock (or the permits of a semaphore)',
  usage: ['holder <key> [-n <permits>]'],
  description:
    'Prints the holder of the lock <key> as the lock sees it: owner, fencing token, lease length ' +
    'and the lease end the holder last wrote (its clock; for a lock held through a session, the ' +
    "session's lease end, and the session id). Exit code 3 when the lock is free. With " +
    '-n N, the holders of the semaphore <key> of N permits (as `lock -n N` takes them), one per line.',
  options: {
    permits: {
      type: 'string',
      short: 'n',
      valueName: 'n',
      description: 'the semaphore of n permits named <key>, as `lock -n n` uses',
    },
    prefix: prefixOption,
  },
  args: { min: 1, max: 1 },
  connects: true,
  examples: ['dynastore holder jobs/nightly', 'dynastore holder encoders -n 3 --json'],
  async run({ args, values, out, connect }) {
    const name = args[0] ?? '';
    const permitsText = typeof values.permits === 'string' ? values.permits : undefined;
    const permits = permitsText === undefined ? 1 : parseCount('--permits', permitsText, 1, MAX_PERMITS);
    const { store } = await connect();
    const holders =
      permits === 1
        ? await store
            .lock(name, prefixFrom(values))
            .holder()
            .then((h) => (h ? [h] : []))
        : await store.semaphore(name, { permits, ...prefixFrom(values) }).holders();
    if (holders.length === 0) {
      throw new CliError(ExitCode.NotFound, `${permits === 1 ? 'lock' : 'semaphore'} "${name}" is free`);
    }
    for (const h of holders) out.result(holderJson(name, h), describeHolder(h));
    return ExitCode.Ok;
  },
};
