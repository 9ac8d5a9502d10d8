import { between, pick } from '../chaos/util/random.js';
import { FencedError, type Lease, type Session } from '../src/index.js';
import { attempt, holdFor, holdLease, type Proc, text } from './actors.js';

/** The session workload's lock keys (a shared pool) and the partition of their counters. */
export const SESSION_KEYS = {
  locks: ['s0', 's1', 's2', 's3'],
  counterPartition: 'scounters',
  /** A 2-permit semaphore whose permits are tied to the session (exclusion per slot). */
  semaphore: 'spool',
  permits: 2,
  /** Exclusion lines of lock `key` are recorded under this group. */
  group: (key: string) => `session/${key}`,
} as const;

/**
 * Sessions: the process opens a session, and one to three loops take locks of a shared pool
 * through it (now and then a plain per-lock lease of the same pool instead, so session and
 * per-lock holders take over from each other, or a permit of a session semaphore, checked per
 * slot), each holding one lock at a time: claims for
 * `checkExclusion` (one group per key) while fenced increments of that key's counter run (lines
 * for `checkCounter`, one counter per key). When the session is lost (paused or cut off past its
 * lease, taken over) every loop finds its lease gone and stops; the session is closed after a
 * while, or once lost, and a new one opened.
 *
 * @example
 * ```ts
 * void sessionActor(proc); // until proc.stopping()
 * ```
 */
export async function sessionActor(p: Proc): Promise<void> {
  const w = p.name;
  while (!p.stopping()) {
    let session: Session | undefined;
    try {
      session = await p.store.session({
        leaseMs: p.leaseMs,
        maxClockSkewMs: p.maxClockSkewMs,
        retentionMs: p.retentionMs,
        owner: p.owner('session'),
      });
      p.rec.note(`${w} session ${session.id} open`);
    } catch (err) {
      p.rec.note(`${w} session open: ${text(err)}`);
    }
    p.rec.ops++;
    if (session) {
      const taken = new Set<string>();
      const until = p.clock.monotonic() + between(p.rand, 2 * p.leaseMs, 8 * p.leaseMs);
      const loops = 1 + Math.floor(p.rand() * 3);
      await Promise.all(Array.from({ length: loops }, () => lockLoop(p, session, taken, until)));
      const lost = session.signal.aborted ? ` (${text(session.signal.reason)})` : '';
      p.rec.note(`${w} session ${session.id} close${lost}`);
      await session.close().catch((err: unknown) => p.rec.note(`${w} session close: ${text(err)}`));
      p.rec.ops++;
    }
    await p.clock.sleep(between(p.rand, 0, 80));
  }
}

/** Takes locks of the pool (one at a time, none another loop of this session holds) while the session lives. */
async function lockLoop(p: Proc, session: Session, taken: Set<string>, until: number): Promise<void> {
  const options = { leaseMs: p.leaseMs, retentionMs: p.retentionMs, maxClockSkewMs: p.maxClockSkewMs };
  while (!p.stopping() && session.held && p.clock.monotonic() < until) {
    const free = SESSION_KEYS.locks.filter((k) => !taken.has(k));
    if (p.rand() < 0.15) {
      // now and then a permit of the session's semaphore instead of a lock
      const sem = session.semaphore(SESSION_KEYS.semaphore, { permits: SESSION_KEYS.permits });
      const lease = await attempt(p, () => sem.acquire({ waitMs: 3 * p.leaseMs }));
      if (lease) await holdLease(p, lease.key, lease, 'held', 'token', lease.token.toString());
    } else if (free.length > 0) {
      const key = pick(p.rand, free);
      taken.add(key);
      try {
        const plain = p.rand() < 0.2;
        const lock = plain ? p.store.lock(key, { ...options, owner: p.owner('plain') }) : session.lock(key);
        p.rec.countFor(key, { w: p.name, ev: 'acquire' });
        const lease = await attempt(p, () =>
          p.rand() < 0.3 ? lock.tryAcquire() : lock.acquire({ waitMs: 3 * p.leaseMs }),
        );
        if (lease) await holdAndCount(p, key, lease);
      } finally {
        taken.delete(key);
      }
    }
    await p.clock.sleep(between(p.rand, 0, 80));
  }
}

/** Holds `lease`, claiming it while `lease.held`, with fenced increments of the key's counter alongside; then releases. */
async function holdAndCount(p: Proc, key: string, lease: Lease): Promise<void> {
  const w = p.name;
  const token = lease.token.toString();
  const group = SESSION_KEYS.group(key);
  p.rec.hold(group, { w, ev: 'granted', token, m: p.rec.now });
  p.rec.countFor(key, { w, ev: 'granted', token });
  let holding = true;
  const writer = (async () => {
    while (holding && lease.held) {
      // after an ambiguous write nothing more is written under this lease: that write may still
      // apply while the lease stands, after a later one (a holder's own writes are not fenced
      // from each other)
      if ((await increment(p, key, lease)) === 'ambiguous') return;
      await p.clock.sleep(between(p.rand, 0, 40));
    }
  })();
  await holdFor(
    p,
    () => lease.held,
    lease.signal,
    between(p.rand, 0, 2 * p.leaseMs),
    (m) => p.rec.hold(group, { w, ev: 'held', token, m }),
  );
  holding = false;
  await writer;
  p.rec.hold(group, { w, ev: 'release', token, m: p.rec.now });
  await lease.release().catch((err: unknown) => p.rec.note(`${w} release ${key}: ${text(err)}`));
  p.rec.ops++;
}

/** Reads the key's counter, works a while (rarely past the lease), writes it + 1 fenced by the lease. */
async function increment(p: Proc, key: string, lease: Lease): Promise<'ambiguous' | undefined> {
  const w = p.name;
  const token = lease.token.toString();
  const kv = p.store.partition(SESSION_KEYS.counterPartition);
  let n: number;
  try {
    const pair = await kv.get(key);
    n = pair ? Number(pair.text()) : 0;
  } catch (err) {
    p.rec.note(`${w} ${key} counter read: ${text(err)}`);
    return undefined;
  } finally {
    p.rec.ops++;
  }
  p.rec.countFor(key, { w, ev: 'read', token, n });
  await p.clock.sleep(
    p.rand() < 0.05 ? between(p.rand, p.leaseMs / 2, 2 * p.leaseMs) : between(p.rand, 0, 30),
  );
  p.rec.countFor(key, { w, ev: 'write', token, n: n + 1 });
  try {
    await kv.put(key, String(n + 1), { fence: lease });
    p.rec.countFor(key, { w, ev: 'write-ok', token, n: n + 1 });
  } catch (err) {
    p.rec.countFor(key, {
      w,
      ev: err instanceof FencedError ? 'write-fenced' : 'write-error',
      token,
      n: n + 1,
    });
    if (!(err instanceof FencedError)) return 'ambiguous';
  } finally {
    p.rec.ops++;
  }
  return undefined;
}
