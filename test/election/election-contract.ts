import { describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../src/contract/errors/lock.js';
import type { Leader } from '../../src/election/observe.js';
import type { Dynastore } from '../../src/facade/dynastore.js';
import type { Harness } from '../contract/harness.js';
import { within } from '../contract/within.js';

/** Timing of a test election: short on both backends, in proportion. */
export interface ElectionTiming {
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly maxClockSkewMs: number;
}

let seq = 0;
const uniqueName = (label: string) => `${label}-${Date.now().toString(36)}-${seq++}`;

/** Lets time pass until `predicate` holds (or fails after `maxMs`). */
async function until(h: Harness, predicate: () => boolean, maxMs: number, stepMs = 25): Promise<void> {
  for (let spent = 0; !predicate(); spent += stepMs) {
    if (spent > maxMs) throw new Error(`condition not met within ${maxMs} ms`);
    await h.passTime(stepMs);
  }
}

/** Records what an observer saw. */
function record(store: Dynastore, name: string, t: ElectionTiming) {
  const seen: (Leader | undefined)[] = [];
  const sub = store
    .election(name, t)
    .observe()
    .subscribe((l) => seen.push(l));
  return { seen, ids: () => seen.map((l) => l?.id ?? '-'), stop: () => sub.unsubscribe() };
}

/**
 * The behaviour of elections that must hold on every backend.
 *
 * @example
 * ```ts
 * electionContract(() => h, { leaseMs: 600, heartbeatMs: 150, maxClockSkewMs: 100 });
 * ```
 */
export function electionContract(harness: () => Harness, t: ElectionTiming): void {
  describe('election', () => {
    it('elects exactly one of several concurrent candidates, and reports it', async () => {
      const h = harness();
      const name = uniqueName('one');
      const ids = ['a', 'b', 'c'];
      const elected: string[] = [];
      const controllers = ids.map(() => new AbortController());
      const campaigns = ids.map((id, i) =>
        h
          .store()
          .election(name, t)
          .campaign(id, { signal: controllers[i]?.signal })
          .then((l) => {
            elected.push(id);
            return l;
          }),
      );
      await until(h, () => elected.length > 0, t.leaseMs * 4);
      await h.passTime(t.leaseMs * 2); // heartbeats keep the leader; nobody else gets in
      expect(elected).toHaveLength(1);
      const winner = await campaigns[ids.indexOf(elected[0] ?? '')];
      const leader = await h.store().election(name, t).leader();
      expect(leader).toEqual({ id: winner?.id, term: winner?.term });
      expect(winner?.isLeader).toBe(true);
      const others = campaigns.filter((_, i) => ids[i] !== winner?.id);
      const outcomes = others.map((other) =>
        other.then(
          () => 'elected',
          (err: Error) => err.message,
        ),
      );
      for (const c of controllers) c.abort(new Error('test over'));
      expect(await within(h, Promise.all(outcomes), t.leaseMs)).toEqual(['test over', 'test over']);
      await winner?.resign();
      expect(await h.store().election(name, t).leader()).toBeUndefined();
    });

    it('hands over on resign, at once and with a higher term', async () => {
      const h = harness();
      const name = uniqueName('resign');
      const first = await h.store().election(name, t).campaign('first');
      const next = h.store().election(name, t).campaign('second');
      await h.passTime(t.leaseMs * 2);
      expect(first.isLeader).toBe(true);
      await first.resign();
      expect(first.signal.aborted).toBe(true);
      expect((first.signal.reason as LeaseLostError).reason).toBe('released');
      // Woken by the change feed or the next poll: well before a lease would have run out.
      const second = await within(h, next, t.leaseMs);
      expect(second.term).toBeGreaterThan(first.term);
      expect(await h.store().election(name, t).leader()).toEqual({ id: 'second', term: second.term });
      await second.resign();
    });

    it('replaces a leader that stops renewing, and tells it so', async () => {
      const h = harness();
      const name = uniqueName('stall');
      const stalled = await h
        .store()
        .election(name, { ...t, heartbeatMs: false })
        .campaign('stalled');
      const observer = record(h.store(), name, t);
      const successor = h.store().election(name, t).campaign('successor');
      const next = await within(h, successor, t.leaseMs * 4);
      // Told before (or when) it could be replaced.
      expect(stalled.signal.aborted).toBe(true);
      expect(stalled.signal.reason).toBeInstanceOf(LeaseLostError);
      expect(stalled.isLeader).toBe(false);
      expect(next.term).toBeGreaterThan(stalled.term);
      await expect(stalled.renew()).rejects.toBeInstanceOf(LeaseLostError);
      await stalled.resign(); // a late resign does not disturb the new leader
      expect(await h.store().election(name, t).leader()).toEqual({ id: 'successor', term: next.term });
      await until(h, () => observer.seen.at(-1)?.id === 'successor', t.leaseMs * 2);
      expect(observer.ids()[0]).toBe('stalled');
      observer.stop();
      await next.resign();
    });

    it('observers follow the leader, and heartbeats do not make them emit', async () => {
      const h = harness();
      const name = uniqueName('observe');
      const a = record(h.store(), name, t);
      await until(h, () => a.seen.length === 1, t.leaseMs * 2);
      expect(a.seen).toEqual([undefined]);
      const first = await h.store().election(name, t).campaign('first');
      await until(h, () => a.seen.length === 2, t.leaseMs * 2);
      expect(a.seen[1]).toEqual({ id: 'first', term: first.term });
      await h.passTime(t.heartbeatMs * 5); // several renewals
      expect(a.seen).toHaveLength(2);
      const late = record(h.store(), name, t);
      await until(h, () => late.seen.length === 1, t.leaseMs * 2);
      expect(late.seen).toEqual([{ id: 'first', term: first.term }]);
      const next = h.store().election(name, t).campaign('second');
      await first.resign();
      const second = await within(h, next, t.leaseMs * 2);
      await until(
        h,
        () => a.seen.at(-1)?.id === 'second' && late.seen.at(-1)?.id === 'second',
        t.leaseMs * 2,
      );
      expect(a.seen.at(-1)).toEqual({ id: 'second', term: second.term });
      expect(a.ids().filter((id) => id !== '-')).toEqual(['first', 'second']);
      await second.resign();
      await until(h, () => a.seen.at(-1) === undefined, t.leaseMs * 2);
      a.stop();
      late.stop();
    });

    it('observers see a silent leader go once its lease has run out', async () => {
      const h = harness();
      const name = uniqueName('silent');
      const silent = await h
        .store()
        .election(name, { ...t, heartbeatMs: false })
        .campaign('silent');
      const a = record(h.store(), name, t);
      await until(h, () => a.seen.length === 1, t.leaseMs);
      expect(a.ids()).toEqual(['silent']);
      await until(h, () => a.seen.length === 2, t.leaseMs * 3);
      expect(a.seen[1]).toBeUndefined();
      expect(silent.signal.aborted).toBe(true);
      expect(await h.store().election(name, t).leader()).toBeUndefined();
      a.stop();
    });

    it('run(): callbacks in order, onStoppedLeading once, resigns on abort', async () => {
      const h = harness();
      const name = uniqueName('run');
      const events: string[] = [];
      const stop = new AbortController();
      const result = h
        .store()
        .election(name, t)
        .run(
          'runner',
          {
            onNewLeader: (id) => events.push(`new:${id}`),
            onStartedLeading: (signal, leadership) =>
              new Promise<void>((resolve) => {
                events.push('started');
                signal.addEventListener('abort', () => {
                  // told to stop while still leading: the run resigns only after the work ends
                  events.push(`work-stopping(leader:${leadership.isLeader})`);
                  queueMicrotask(() => {
                    events.push('work-done');
                    resolve();
                  });
                });
              }),
            onStoppedLeading: () => events.push('stopped'),
          },
          { signal: stop.signal },
        );
      await until(h, () => events.includes('started') && events.includes('new:runner'), t.leaseMs * 2);
      stop.abort();
      const r = await within(h, result, t.leaseMs);
      expect(r.ended).toBe('aborted');
      expect(r.term).toBeTypeOf('bigint');
      expect(events.filter((e) => e === 'stopped')).toHaveLength(1);
      expect(events.slice(-3)).toEqual(['work-stopping(leader:true)', 'work-done', 'stopped']);
      expect(await h.store().election(name, t).leader()).toBeUndefined();
    });

    it('run(): finished work resigns; a waiting runner gets onStoppedLeading without leading', async () => {
      const h = harness();
      const name = uniqueName('run2');
      const holder = await h.store().election(name, t).campaign('holder');
      let stopped = 0;
      let started = 0;
      const stop = new AbortController();
      const waiting = h
        .store()
        .election(name, t)
        .run(
          'waiter',
          { onStartedLeading: () => started++, onStoppedLeading: () => stopped++ },
          { signal: stop.signal },
        );
      await h.passTime(t.leaseMs);
      stop.abort();
      expect(await within(h, waiting, t.leaseMs)).toEqual({ term: undefined, ended: 'aborted' });
      expect([started, stopped]).toEqual([0, 1]);
      await holder.resign();
      const done = await within(
        h,
        h
          .store()
          .election(name, t)
          .run('worker', { onStartedLeading: async () => {} }),
        t.leaseMs * 2,
      );
      expect(done.ended).toBe('finished');
      expect(await h.store().election(name, t).leader()).toBeUndefined();
    });

    it('run(): leadership lost ends the run with "lost"', async () => {
      const h = harness();
      const name = uniqueName('run3');
      let stopped = 0;
      const result = h
        .store()
        .election(name, { ...t, heartbeatMs: false })
        .run('forgetful', {
          onStartedLeading: (signal) => new Promise((resolve) => signal.addEventListener('abort', resolve)),
          onStoppedLeading: () => stopped++,
        });
      const r = await within(h, result, t.leaseMs * 3);
      expect(r.ended).toBe('lost');
      expect(stopped).toBe(1);
    });

    it('an election row bound to an unreadable session row is InvalidItemError, as lock.holder() says (issue 21 item 3)', async () => {
      const h = harness();
      const name = uniqueName('odd-session');
      const sessionId = `_session/${uniqueName('odd-session-row')}`;
      const leaseUntil = h.now() + 3_600_000;
      // another writer's session row: owner a number, token / leaseMs / leaseUntil strings
      await h.putRaw({
        id: { S: sessionId },
        name: { S: sessionId },
        version: { N: '1' },
        owner: { N: '7' },
        token: { S: '5' },
        leaseMs: { S: '10000' },
        leaseUntil: { S: String(leaseUntil) },
      });
      const boundRow = (id: string) => ({
        id: { S: id },
        name: { S: name },
        version: { N: '1' },
        owner: { S: 'go' },
        token: { N: '5' },
        leaseMs: { N: '10000' },
        leaseUntil: { N: String(leaseUntil) },
        session: { S: sessionId },
      });
      await h.putRaw(boundRow(`_election/${name}`));
      await h.putRaw(boundRow(`_lock/${name}`));
      const election = h.store().election(name, t);
      const invalid = { name: 'InvalidItemError', partition: sessionId, key: sessionId };
      await expect(election.leader()).rejects.toMatchObject(invalid);
      const seen: (Leader | undefined)[] = [];
      const failed = new Promise<unknown>((resolve) => {
        election.observe().subscribe({ next: (l) => seen.push(l), error: resolve });
      });
      expect(await within(h, failed, t.leaseMs * 4)).toMatchObject(invalid);
      expect(seen).toEqual([]); // never "nobody leads"
      // the same row read as a lock: the same error
      const asLock = h.store().lock(name, t);
      await expect(asLock.holder()).rejects.toMatchObject(invalid);
      expect(await election.tryCampaign('me')).toBeUndefined();
    });
  });
}
