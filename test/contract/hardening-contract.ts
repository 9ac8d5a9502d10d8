import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { markPayloadChecked } from '../../src/contract/check-input.js';
import type { RawRow } from '../../src/contract/decode-row.js';
import { InvalidItemError, ValidationError } from '../../src/contract/errors/index.js';
import { MAX_TTL_MS } from '../../src/contract/validate.js';
import { encodeCursor } from '../../src/facade/cursor.js';
import type { WatchEvent } from '../../src/watch/types.js';
import type { Harness } from './harness.js';

let seq = 0;
const fresh = (label: string) => `${label}-${process.pid}-${++seq}`;

/** Runs `fn` and expects a ValidationError naming `field`, with no backend call made. */
async function refused(h: Harness, field: string, fn: () => unknown): Promise<void> {
  const before = h.calls.length;
  let error: unknown;
  try {
    await fn();
  } catch (err) {
    error = err;
  }
  expect(error, `expected a ValidationError on ${field}`).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).field).toBe(field);
  expect(h.calls.length, `no call may be made before refusing ${field}`).toBe(before);
}

const lone = 'a\udc00';

/** Issue 12 items 1, 2 and 6 (refusals) and the foreign-row half of item 2, on every backend. */
export function hardeningContract(getHarness: () => Harness): void {
  describe('strings without a UTF-8 form are refused everywhere (issue 12 item 1)', () => {
    it('partition, key, value, prefix, cursor: refused before any call', async () => {
      const h = getHarness();
      const store = h.store();
      const kv = store.partition(fresh('uni'));
      await refused(h, 'partition', () => store.partition(lone));
      await refused(h, 'key', () => kv.put(lone, 'v'));
      await refused(h, 'value', () => kv.put('k', `text ${lone}`));
      await refused(h, 'key', () => kv.get(lone));
      await refused(h, 'key', () => kv.exists(lone));
      await refused(h, 'key', () => kv.delete(lone));
      await refused(h, 'key', () => kv.atomicPut(lone, 'v'));
      await refused(h, 'prefix', () => kv.list({ prefix: lone })[Symbol.asyncIterator]().next());
      await refused(h, 'prefix', () => kv.listPage({ prefix: lone }));
      await refused(h, 'cursor', () => kv.listPage({ cursor: encodeCursor(kv.name, '', lone) }));
      await refused(h, 'key', () => kv.watch(lone));
      await refused(h, 'prefix', () => kv.watchPrefix(lone));
    });

    it('lock, semaphore and election names, owners, data and candidate ids', async () => {
      const h = getHarness();
      const store = h.store();
      await refused(h, 'key', () => store.lock(lone));
      await refused(h, 'lock.owner', () => store.lock('l', { owner: lone }));
      await refused(h, 'lock.data', () => store.lock('l', { data: lone }));
      await refused(h, 'lock.prefix', () => store.lock('l', { prefix: lone }));
      await refused(h, 'key', () => store.withLock(lone, () => 1));
      await refused(h, 'key', () => store.semaphore(lone, { permits: 2 }));
      await refused(h, 'semaphore.owner', () => store.semaphore('s', { permits: 2, owner: lone }));
      await refused(h, 'election', () => store.election(lone));
      await refused(h, 'election.prefix', () => store.election('e', { prefix: lone }));
      const election = store.election(fresh('e'));
      await refused(h, 'candidateId', () => election.campaign(lone));
      await refused(h, 'candidateId', () => election.tryCampaign(lone));
      await refused(h, 'candidateId', () => election.run(lone, { onStartedLeading: () => undefined }));
    });

    it('the store contract itself refuses them, on both backends alike', async () => {
      const h = getHarness();
      const { backend } = h.store();
      const p = fresh('raw');
      await refused(h, 'key', () => backend.write({ partition: p, key: lone, payload: 'x' }));
      await refused(h, 'payload', () => backend.write({ partition: p, key: 'k', payload: lone }));
      await refused(h, 'fields.owner', () =>
        backend.write({ partition: p, key: 'k', fields: { owner: lone } }),
      );
      await refused(h, 'partition', () => backend.get(lone, 'k'));
      await refused(h, 'expiresSec', () => backend.write({ partition: p, key: 'k', expiresSec: 1e130 }));
      await refused(h, 'fields.leaseUntil', () =>
        backend.write({ partition: p, key: 'k', fields: { leaseUntil: Number.NaN } }),
      );
      await refused(h, 'condition on field:leaseUntil', () =>
        backend.write({
          partition: p,
          key: 'k',
          condition: { op: 'cmp', attr: 'field:leaseUntil', cmp: '<', value: Number.POSITIVE_INFINITY },
        }),
      );
      // a request the public API marked as checked is checked again once its payload is replaced
      const checked = markPayloadChecked({ partition: p, key: 'k', payload: 'checked' });
      await refused(h, 'payload', () => backend.write({ ...checked, payload: lone }));
      await refused(h, 'payload', () =>
        backend.transact([{ kind: 'write', ...checked, payload: `x${lone}` }]),
      );
      await refused(h, 'prefix', () => backend.query({ partition: p, prefix: lone }));
      await refused(h, 'key', () => backend.delete({ partition: p, key: lone }));
      await refused(h, 'key', () =>
        backend.transact([{ kind: 'check', partition: p, key: lone, condition: { op: 'exists' } }]),
      );
    });

    it('so two distinct keys can no longer share one row', async () => {
      const kv = getHarness().store().partition(fresh('uni'));
      await kv.put('a?', 'the other key');
      await expect(kv.get(lone)).rejects.toBeInstanceOf(ValidationError);
      expect((await kv.get('a?'))?.text()).toBe('the other key');
    });
  });

  describe('wrong-typed and out-of-range options are refused before any call (issue 12 items 2, 6)', () => {
    it('key/value options', async () => {
      const h = getHarness();
      const kv = h.store().partition(fresh('opt'));
      await refused(h, 'ttlMs', () => kv.put('k', 'v', { ttlMs: 1e16 }));
      await refused(h, 'ttlMs', () => kv.put('k', 'v', { ttlMs: MAX_TTL_MS + 1 }));
      await refused(h, 'ttlMs', () => kv.atomicPut('k', 'v', { ttlMs: Number.NaN }));
      await refused(h, 'ttlMs', () => kv.put('k', 'v', { ttlMs: '60000' as never }));
      await refused(h, 'get.consistent', () => kv.get('k', { consistent: 'yes' as never }));
      await refused(h, 'get.consistent', () => kv.get('k', { consistent: 0 as never }));
      await refused(h, 'get.consistent', () => kv.exists('k', { consistent: 'no' as never }));
      await refused(h, 'listPage.limit', () => kv.listPage({ limit: 1e10 }));
      await refused(h, 'listPage.consistent', () => kv.listPage({ consistent: 'yes' as never }));
      await refused(h, 'list.pageSize', () => kv.list({ pageSize: 1e10 })[Symbol.asyncIterator]().next());
      await refused(h, 'list.consistent', () =>
        kv
          .list({ consistent: 1 as never })
          [Symbol.asyncIterator]()
          .next(),
      );
      await refused(h, 'list.onInvalid', () =>
        kv
          .list({ onInvalid: 'log' as never })
          [Symbol.asyncIterator]()
          .next(),
      );
    });

    it('a TTL at the maximum is written and reads back as a real date', async () => {
      const kv = getHarness().store().partition(fresh('ttl'));
      const pair = await kv.put('k', 'v', { ttlMs: MAX_TTL_MS });
      expect(Number.isFinite(pair.expiresAt?.getTime())).toBe(true);
      expect(() => JSON.stringify(pair)).not.toThrow();
      expect((await kv.get('k'))?.text()).toBe('v');
    });

    it('lock, acquire, semaphore, election and run options', async () => {
      const h = getHarness();
      const store = h.store();
      const table: [string, () => unknown][] = [
        ['lock.retentionMs', () => store.lock('l', { retentionMs: 1e16 })],
        ['lock.pollMs', () => store.lock('l', { pollMs: 1e10 })],
        ['lock.leaseMs', () => store.lock('l', { leaseMs: Number.NaN })],
        ['lock.heartbeatMs', () => store.lock('l', { heartbeatMs: 'often' as never })],
        ['lock.wakeOnChange', () => store.lock('l', { wakeOnChange: 'yes' as never })],
        ['lock.data', () => store.lock('l', { data: 42 as never })],
        ['lock.owner', () => store.lock('l', { owner: 7 as never })],
        ['acquire.waitMs', () => store.lock('l').acquire({ waitMs: '1000' as never })],
        ['acquire.signal', () => store.lock('l').acquire({ signal: 'stop' as never })],
        ['withLock.fn', () => store.withLock('l', 'work' as never)],
        ['acquire.waitMs', () => store.withLock('l', () => 1, { waitMs: Number.NaN })],
        ['semaphore.permits', () => store.semaphore('s', { permits: '3' as never })],
        ['semaphore.pollMs', () => store.semaphore('s', { permits: 2, pollMs: 1e12 })],
        ['election.retentionMs', () => store.election('e', { retentionMs: Number.POSITIVE_INFINITY })],
        ['election.wakeOnChange', () => store.election('e', { wakeOnChange: 0 as never })],
        ['campaign.waitMs', () => store.election('e').campaign('c', { waitMs: -1 })],
        ['campaign.signal', () => store.election('e').campaign('c', { signal: {} as never })],
        [
          'run.signal',
          () => store.election('e').run('c', { onStartedLeading: () => 1 }, { signal: 'x' as never }),
        ],
        [
          'run.waitMs',
          () => store.election('e').run('c', { onStartedLeading: () => 1 }, { waitMs: 'x' as never }),
        ],
      ];
      for (const [field, fn] of table) await refused(h, field, fn);
    });
  });

  describe('rows other writers left odd never break reads of other keys (issue 12 item 2)', () => {
    const p = fresh('odd');
    const row = (key: string, extra: RawRow): RawRow => ({
      id: { S: p },
      name: { S: key },
      version: { N: '1' },
      payload: { S: `value of ${key}` },
      ...extra,
    });
    const future = String(Math.floor(Date.now() / 1000) + 3600);
    /** key -> the attribute it must be reported for */
    const odd: Record<string, string> = {
      'odd/expires-string': 'expires',
      'odd/expires-huge': 'expires',
      'odd/expires-map': 'expires',
      'odd/version-string': 'version',
      'odd/version-fraction': 'version',
      'odd/version-huge': 'version',
      'odd/payload-number': 'payload',
      'odd/payload-map': 'payload',
      'odd/encoding-gzip': 'encoding',
    };
    const seed = async (h: Harness) => {
      await h.putRaw(row('odd/expires-string', { expires: { S: 'tomorrow' } }));
      await h.putRaw(row('odd/expires-huge', { expires: { N: '1E+100' } }));
      await h.putRaw(row('odd/expires-map', { expires: { M: { at: { N: future } } } }));
      await h.putRaw(row('odd/version-string', { version: { S: '3' } }));
      await h.putRaw(row('odd/version-fraction', { version: { N: '1.5' } }));
      await h.putRaw(row('odd/version-huge', { version: { N: '123456789012345678901234567890' } }));
      await h.putRaw(row('odd/payload-number', { payload: { N: '5' } }));
      await h.putRaw(row('odd/payload-map', { payload: { M: { a: { S: 'x' } } } }));
      await h.putRaw(row('odd/encoding-gzip', { encoding: { S: 'gzip' } }));
      // readable ones: past expiry of any size is expired; NULL expires is none; odd extra attributes
      await h.putRaw(row('ok/expired-long-ago', { expires: { N: '-1E+100' } }));
      await h.putRaw(row('ok/expires-null', { expires: { NULL: true } }));
      await h.putRaw(row('ok/no-version', { version: { NULL: true } }));
      await h.putRaw(
        row('ok/extra-attributes', {
          tags: { SS: ['a', 'b'] },
          nums: { NS: ['1', '2'] },
          blob: { B: new Uint8Array([1, 2]) },
          nested: { M: { a: { L: [{ S: 'x' }, { NULL: true }] } } },
          list: { L: [{ N: '1' }] },
          nothing: { NULL: true },
          owner: { M: {} },
        }),
      );
      await h.putRaw(row('ok/binary-payload', { payload: { B: new Uint8Array([0, 255, 7]) } }));
      await h.putRaw(row('ok/plain', { expires: { N: future } }));
    };
    const readable = [
      'ok/binary-payload',
      'ok/expires-null',
      'ok/extra-attributes',
      'ok/no-version',
      'ok/plain',
    ];

    it('get: the odd key is an InvalidItemError naming partition, key and attribute; others read', async () => {
      const h = getHarness();
      await seed(h);
      const kv = h.store().partition(p);
      for (const [key, attribute] of Object.entries(odd)) {
        const err = await kv.get(key).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, key).toBeInstanceOf(InvalidItemError);
        expect(err).toMatchObject({ partition: p, key, attribute, code: 'INVALID_ITEM' });
        expect((err as Error).message).toContain(key);
      }
      expect(await kv.get('ok/expired-long-ago')).toBeUndefined();
      expect((await kv.get('ok/expires-null'))?.expiresAt).toBeUndefined();
      expect((await kv.get('ok/no-version'))?.version).toBe(0);
      expect((await kv.get('ok/extra-attributes'))?.text()).toBe('value of ok/extra-attributes');
      expect((await kv.get('ok/binary-payload'))?.bytes()).toEqual(new Uint8Array([0, 255, 7]));
      const plain = await kv.get('ok/plain');
      expect(() => JSON.stringify(plain)).not.toThrow();
    });

    it('listPage returns the readable keys in items and the odd ones in invalid', async () => {
      const kv = getHarness().store().partition(p);
      const page = await kv.listPage({ limit: 1000 });
      expect(page.items.map((i) => i.key)).toEqual(readable);
      expect(page.invalid.map((e) => [e.key, e.attribute]).sort()).toEqual(Object.entries(odd).sort());
      expect(page.invalid.every((e) => e instanceof InvalidItemError && e.partition === p)).toBe(true);
    });

    it('list yields every readable key, then reports the odd ones (or hands each to onInvalid)', async () => {
      const kv = getHarness().store().partition(p);
      const seen: string[] = [];
      const err = await (async () => {
        for await (const pair of kv.list({ pageSize: 3 })) seen.push(pair.key);
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(seen).toEqual(readable);
      expect(err).toBeInstanceOf(InvalidItemError);
      expect((err as Error).message).toMatch(/8 more unreadable keys/);
      const invalid: string[] = [];
      const keys: string[] = [];
      for await (const pair of kv.list({ onInvalid: (e) => invalid.push(e.key) })) keys.push(pair.key);
      expect(keys).toEqual(readable);
      expect(invalid.sort()).toEqual(Object.keys(odd).sort());
    });

    it('watchPrefix reports odd keys as unreadable and goes on with the others', async () => {
      const kv = getHarness().store().partition(p);
      const events: WatchEvent[] = await firstValueFrom(
        kv.watchPrefix('').pipe(take(readable.length + Object.keys(odd).length), toArray()),
      );
      expect(events.filter((e) => e.type === 'put').map((e) => e.key)).toEqual(readable);
      const flagged = events.filter((e) => e.type === 'delete' && e.invalid);
      expect(flagged.map((e) => (e.type === 'delete' ? e.invalid?.attribute : '')).length).toBe(9);
      const single = await firstValueFrom(kv.watch('odd/expires-string'));
      expect(single).toMatchObject({ type: 'delete', cause: 'snapshot' });
      expect(single.type === 'delete' && single.invalid).toBeInstanceOf(InvalidItemError);
    });

    it('a running watch reports an odd row written later and keeps delivering the others', async () => {
      const h = getHarness();
      const q = fresh('odd-live');
      const kv = h.store().partition(q);
      await kv.put('a', 'first');
      const events: WatchEvent[] = [];
      const sub = kv.watchPrefix('').subscribe({ next: (e) => events.push(e) });
      try {
        await vi.waitFor(() => expect(events.length).toBe(1), { timeout: 15_000 });
        await h.putRaw({ id: { S: q }, name: { S: 'b' }, version: { N: '1' }, expires: { S: 'never' } });
        await kv.put('c', 'third');
        await vi.waitFor(() => expect(events.length).toBe(3), { timeout: 15_000 });
      } finally {
        sub.unsubscribe();
      }
      expect(events[1]).toMatchObject({ type: 'delete', key: 'b', cause: 'write' });
      expect(events[1]?.type === 'delete' && events[1].invalid?.attribute).toBe('expires');
      expect(events[2]).toMatchObject({ type: 'put', key: 'c' });
    });

    it('a put repairs an odd key (DynamoDB refuses to write over a non-number version)', async () => {
      const kv = getHarness().store().partition(p);
      const repaired = await kv.put('odd/expires-string', 'fixed');
      expect(repaired.text()).toBe('fixed');
      expect((await kv.get('odd/expires-string'))?.version).toBe(2);
      await expect(kv.put('odd/version-string', 'x')).rejects.toMatchObject({ name: 'BackendError' });
      await kv.delete('odd/version-string');
      expect((await kv.put('odd/version-string', 'x')).version).toBe(1);
    });

    it('locks, semaphores and elections: an odd row is InvalidItemError for that key only', async () => {
      const h = getHarness();
      const store = h.store();
      const leaseUntil = { N: String(Date.now() + 3_600_000) };
      const lockRow = (partition: string, key: string, extra: RawRow): RawRow => ({
        id: { S: partition },
        name: { S: key },
        version: { N: '1' },
        ...extra,
      });
      const k = fresh('odd-lock');
      await h.putRaw(
        lockRow(`_lock/${k}/owner`, `${k}/owner`, { owner: { M: {} }, token: { N: '5' }, leaseUntil }),
      );
      await h.putRaw(
        lockRow(`_lock/${k}/token`, `${k}/token`, { owner: { S: 'go' }, token: { S: 'five' }, leaseUntil }),
      );
      await h.putRaw(
        lockRow(`_lock/${k}/until`, `${k}/until`, {
          owner: { S: 'go' },
          token: { N: '5' },
          leaseUntil: { S: 'later' },
        }),
      );
      await h.putRaw(
        lockRow(`_lock/${k}/expires`, `${k}/expires`, {
          owner: { S: 'go' },
          token: { N: '5' },
          leaseUntil,
          expires: { S: 'x' },
        }),
      );
      const short = { leaseMs: 1_000, maxClockSkewMs: 100 };
      for (const [suffix, attribute] of [
        ['owner', 'owner'],
        ['token', 'token'],
        ['until', 'leaseUntil'],
        ['expires', 'expires'],
      ]) {
        const lock = store.lock(`${k}/${suffix}`, short);
        await expect(lock.tryAcquire(), suffix).rejects.toMatchObject({
          name: 'InvalidItemError',
          attribute,
        });
        await expect(lock.acquire({ waitMs: 2_000 })).rejects.toBeInstanceOf(InvalidItemError);
        await expect(lock.holder()).rejects.toBeInstanceOf(InvalidItemError);
      }
      const other = await store.lock(`${k}/other`, short).tryAcquire();
      expect(other).toBeDefined();
      await other?.release();

      const s = fresh('odd-sem');
      await h.putRaw(
        lockRow(`_semaphore/${s}`, `${s}#0`, { owner: { L: [] }, token: { N: '5' }, leaseUntil }),
      );
      const sem = store.semaphore(s, { permits: 2, ...short });
      const permit = await sem.tryAcquire();
      expect(permit?.key).toBe(`${s}#1`);
      expect((await sem.holders()).map((x) => x.key)).toEqual([`${s}#1`]);
      expect(await sem.tryAcquire()).toBeUndefined();
      await permit?.release();

      const e = fresh('odd-elect');
      await h.putRaw(lockRow(`_election/${e}`, e, { owner: { S: 'go' }, token: { N: '0.5' }, leaseUntil }));
      const election = store.election(e, short);
      await expect(election.leader()).rejects.toBeInstanceOf(InvalidItemError);
      await expect(firstValueFrom(election.observe())).rejects.toBeInstanceOf(InvalidItemError);
      await expect(election.tryCampaign('me')).rejects.toBeInstanceOf(InvalidItemError);
    });
  });

  describe('the bytes marker follows the version it was written at (issue 12 item 7)', () => {
    it('a Go write over bytes reads as Go text, not as base64-decoded garbage', async () => {
      const h = getHarness();
      const kv = h.store().partition(fresh('enc'));
      await kv.put('k', new Uint8Array([1, 2, 3]));
      expect((await kv.get('k'))?.bytes()).toEqual(new Uint8Array([1, 2, 3]));
      await h.goPut(kv.name, 'k', 'hello from go');
      const pair = await kv.get('k');
      expect(pair?.text()).toBe('hello from go');
      expect(pair?.version).toBe(2);
      // and our text write after bytes drops the marker too
      await kv.put('k', new Uint8Array([9]));
      await kv.put('k', 'text again');
      expect((await kv.get('k'))?.text()).toBe('text again');
    });

    it("base64Bytes() returns what Go's WriteWithBytes stored (base64 text, no marker)", async () => {
      const h = getHarness();
      const kv = h.store().partition(fresh('enc'));
      const bytes = new Uint8Array([0, 1, 2, 250, 255]);
      await h.goPut(kv.name, 'go-bytes', Buffer.from(bytes).toString('base64'));
      const pair = await kv.get('go-bytes');
      expect(pair?.text()).toBe('AAEC+v8=');
      expect(pair?.base64Bytes()).toEqual(bytes);
      const ours = await kv.put('ts-bytes', bytes);
      expect(ours.base64Bytes()).toEqual(bytes);
      await h.goPut(kv.name, 'go-text', 'not base64!');
      const text = await kv.get('go-text');
      expect(() => text?.base64Bytes()).toThrow(InvalidItemError);
    });

    it("dynastore 0.1's string marker applies only while the payload is base64 text", async () => {
      const h = getHarness();
      const p = fresh('enc');
      const kv = h.store().partition(p);
      const legacy = (key: string, payload: string): RawRow => ({
        id: { S: p },
        name: { S: key },
        version: { N: '4' },
        payload: { S: payload },
        encoding: { S: 'base64' },
      });
      await h.putRaw(legacy('bytes', 'AQID'));
      expect((await kv.get('bytes'))?.bytes()).toEqual(new Uint8Array([1, 2, 3]));
      await h.putRaw(legacy('go-overwrote', 'hello from go'));
      expect((await kv.get('go-overwrote'))?.text()).toBe('hello from go');
    });
  });
}
