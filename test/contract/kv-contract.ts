import { describe, expect, it } from 'vitest';
import {
  KeyExistsError,
  KeyModifiedError,
  KeyNotFoundError,
  ValidationError,
} from '../../src/contract/errors/index.js';
import type { Harness } from './harness.js';

let seq = 0;
/** A partition name no other test uses. */
const fresh = (label: string) => `${label}-${process.pid}-${++seq}`;

/** The key/value contract: every backend must pass all of it. */
export function kvContract(getHarness: () => Harness): void {
  const kv = (label = 'kv') => getHarness().store().partition(fresh(label));

  describe('put / get / exists / delete', () => {
    it('round-trips text, bytes and JSON, starting at version 1', async () => {
      const p = kv();
      const a = await p.put('a', 'hello');
      expect(a.version).toBe(1);
      expect(a.expiresAt).toBeUndefined();
      expect((await p.get('a'))?.text()).toBe('hello');
      const bytes = new Uint8Array([0, 1, 2, 250, 255]);
      await p.put('b', bytes);
      const b = await p.get('b');
      expect(b?.bytes()).toEqual(bytes);
      await p.put('c', JSON.stringify({ on: true }));
      expect((await p.get('c'))?.json<{ on: boolean }>()).toEqual({ on: true });
      expect((await p.get('a'))?.bytes()).toEqual(new TextEncoder().encode('hello'));
    });

    it('bumps the version by one on every write, across put and atomicPut', async () => {
      const p = kv();
      await p.put('k', '1');
      const two = await p.put('k', '2');
      expect(two.version).toBe(2);
      const three = await p.atomicPut('k', '3', { previous: two });
      expect(three.version).toBe(3);
      expect((await p.get('k'))?.version).toBe(3);
    });

    it('reports absent keys as undefined / false and deletes idempotently', async () => {
      const p = kv();
      expect(await p.get('nope')).toBeUndefined();
      expect(await p.exists('nope')).toBe(false);
      await p.put('k', 'v');
      expect(await p.exists('k')).toBe(true);
      expect(await p.delete('k')).toBe(true);
      expect(await p.delete('k')).toBe(false);
      expect(await p.get('k')).toBeUndefined();
    });

    it('accepts path-like and unicode keys, and a value at the size limit', async () => {
      const p = kv();
      await p.put('a/b/c', 'x');
      await p.put('ключ/🔑', 'y');
      expect((await p.get('ключ/🔑'))?.text()).toBe('y');
      const big = 'x'.repeat(390 * 1024);
      expect((await p.put('big', big)).version).toBe(1);
      expect((await p.get('big'))?.text().length).toBe(big.length);
    });

    it('keeps partitions apart', async () => {
      const s = getHarness().store();
      const one = s.partition(fresh('iso'));
      const two = s.partition(fresh('iso'));
      await one.put('k', 'one');
      expect(await two.get('k')).toBeUndefined();
      await two.put('k', 'two');
      expect((await one.get('k'))?.text()).toBe('one');
      expect([...(await collect(two.list()))].map((x) => x.text())).toEqual(['two']);
    });
  });

  describe('atomicPut and atomicDelete', () => {
    it('creates only when absent, and the loser gets the current pair without a second read', async () => {
      const h = getHarness();
      const p = h.store().partition(fresh('create'));
      await p.atomicPut('k', 'first');
      const before = h.calls.length;
      const err = await p.atomicPut('k', 'second').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KeyExistsError);
      expect((err as KeyExistsError).current?.text()).toBe('first');
      expect(h.calls.length - before).toBe(1);
    });

    it('swaps only at the expected version, and reports the current pair when it lost', async () => {
      const p = kv();
      const v1 = await p.put('k', 'a');
      const v2 = await p.atomicPut('k', 'b', { previous: v1 });
      const err = await p.atomicPut('k', 'c', { previous: v1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KeyModifiedError);
      expect((err as KeyModifiedError).current?.version).toBe(v2.version);
      expect((await p.get('k'))?.text()).toBe('b');
    });

    it('lets exactly one of many concurrent writers win a create and a swap', async () => {
      const h = getHarness();
      const name = fresh('race');
      const stores = Array.from({ length: 12 }, () => h.store().partition(name));
      const creates = await Promise.allSettled(stores.map((p, i) => p.atomicPut('k', `w${i}`)));
      expect(creates.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(
        creates.filter((r) => r.status === 'rejected' && r.reason instanceof KeyExistsError),
      ).toHaveLength(11);
      const current = await stores[0]!.get('k');
      const swaps = await Promise.allSettled(
        stores.map((p, i) => p.atomicPut('k', `s${i}`, { previous: current! })),
      );
      expect(swaps.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(
        swaps.filter((r) => r.status === 'rejected' && r.reason instanceof KeyModifiedError),
      ).toHaveLength(11);
    });

    it('deletes only at the expected version', async () => {
      const p = kv();
      const v1 = await p.put('k', 'a');
      const v2 = await p.put('k', 'b');
      const stale = await p.atomicDelete('k', v1).catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(KeyModifiedError);
      expect((stale as KeyModifiedError).current?.version).toBe(v2.version);
      await p.atomicDelete('k', v2);
      expect(await p.get('k')).toBeUndefined();
      await expect(p.atomicDelete('k', v2)).rejects.toBeInstanceOf(KeyNotFoundError);
    });

    it('regression (Go dynastore): atomicDelete without a previous pair is a typed error, not a crash', async () => {
      const p = kv();
      await p.put('k', 'v');
      // @ts-expect-error: previous is required
      await expect(p.atomicDelete('k', undefined)).rejects.toBeInstanceOf(ValidationError);
      expect(await p.exists('k')).toBe(true);
    });
  });

  describe('TTL', () => {
    it('hides an expired item from get, exists, list and listPage, and lets atomicPut re-create it', async () => {
      const h = getHarness();
      const p = h.store().partition(fresh('ttl'));
      const pair = await p.put('k', 'v', { ttlMs: 1000 });
      expect(pair.expiresAt).toBeInstanceOf(Date);
      await p.put('stays', 'v');
      expect(await p.exists('k')).toBe(true);
      await h.passTime(2100);
      expect(await p.get('k')).toBeUndefined();
      expect(await p.exists('k')).toBe(false);
      expect((await collect(p.list())).map((x) => x.key)).toEqual(['stays']);
      expect((await p.listPage()).items.map((x) => x.key)).toEqual(['stays']);
      // regression (Go dynastore): create-over-expired must be possible
      const again = await p.atomicPut('k', 'new');
      expect(again.text()).toBe('new');
      // a CAS against the expired pair must fail: it is gone
      await expect(p.atomicPut('k', 'x', { previous: pair })).rejects.toBeInstanceOf(KeyModifiedError);
    });

    it('regression (Go dynastore): a put without ttlMs removes an earlier expiry', async () => {
      const h = getHarness();
      const p = h.store().partition(fresh('ttl2'));
      await p.put('k', 'v', { ttlMs: 1000 });
      const plain = await p.put('k', 'v2');
      expect(plain.expiresAt).toBeUndefined();
      await h.passTime(2100);
      expect((await p.get('k'))?.text()).toBe('v2');
    });

    it('stores expiry in whole epoch seconds, rounded up', async () => {
      const p = kv();
      const before = getHarness().now();
      const pair = await p.put('k', 'v', { ttlMs: 60_000 });
      const at = pair.expiresAt!.getTime();
      expect(at % 1000).toBe(0);
      expect(at).toBeGreaterThanOrEqual(Math.floor((before + 60_000) / 1000) * 1000);
    });
  });

  describe('list and listPage', () => {
    it('walks every page (several 1 MB pages) in key order, under a prefix', async () => {
      const p = kv('pages');
      const big = 'x'.repeat(200 * 1024);
      const keys = Array.from({ length: 14 }, (_, i) => `big/${String(i).padStart(2, '0')}`);
      for (const k of keys) await p.put(k, big);
      await p.put('other', 'x');
      const listed = await collect(p.list({ prefix: 'big/' }));
      expect(listed.map((x) => x.key)).toEqual(keys);
      const h = getHarness();
      const before = h.calls.length;
      await collect(p.list({ prefix: 'big/' }));
      expect(h.calls.length - before).toBeGreaterThanOrEqual(3);
    });

    it('pages with limit and an opaque cursor, and refuses a cursor from elsewhere', async () => {
      const p = kv('cursor');
      for (let i = 0; i < 7; i++) await p.put(`a/${i}`, String(i));
      await p.put('b/0', 'b');
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await p.listPage({ prefix: 'a/', limit: 3, ...(cursor && { cursor }) });
        seen.push(...page.items.map((x) => x.key));
        cursor = page.cursor;
        pages++;
      } while (cursor);
      expect(seen).toEqual(['a/0', 'a/1', 'a/2', 'a/3', 'a/4', 'a/5', 'a/6']);
      expect(pages).toBeGreaterThanOrEqual(3);
      const first = await p.listPage({ prefix: 'a/', limit: 2 });
      await expect(p.listPage({ prefix: 'b/', cursor: first.cursor! })).rejects.toBeInstanceOf(
        ValidationError,
      );
      const other = getHarness().store().partition(fresh('cursor'));
      await expect(other.listPage({ prefix: 'a/', cursor: first.cursor! })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(p.listPage({ cursor: 'garbage' })).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe('bad input is refused before any call, and nothing is written', () => {
    const cases: [string, (p: ReturnType<typeof kv>) => Promise<unknown>][] = [
      ['empty key', (p) => p.put('', 'v')],
      ['non-string key', (p) => p.put(42 as unknown as string, 'v')],
      ['key over 1024 bytes', (p) => p.put('é'.repeat(513), 'v')],
      ['value over 400 KB', (p) => p.put('k', 'x'.repeat(401 * 1024))],
      ['bytes over 400 KB once base64', (p) => p.put('k', new Uint8Array(310 * 1024))],
      ['a number as value', (p) => p.put('k', 42 as unknown as string)],
      ['zero ttlMs', (p) => p.put('k', 'v', { ttlMs: 0 })],
      ['negative ttlMs', (p) => p.put('k', 'v', { ttlMs: -5 })],
      ['NaN ttlMs', (p) => p.put('k', 'v', { ttlMs: Number.NaN })],
      ['infinite ttlMs', (p) => p.atomicPut('k', 'v', { ttlMs: Number.POSITIVE_INFINITY })],
      ['unknown put option', (p) => p.put('k', 'v', { ttl: 5 } as never)],
      ['unknown atomicPut option', (p) => p.atomicPut('k', 'v', { prev: 1 } as never)],
      ['previous that is not a pair', (p) => p.atomicPut('k', 'v', { previous: { version: 1 } as never })],
      ['unknown get option', (p) => p.get('k', { strong: true } as never)],
      ['zero listPage limit', (p) => p.listPage({ limit: 0 })],
      ['unknown list option', (p) => collect(p.list({ limit: 3 } as never))],
    ];
    for (const [label, call] of cases) {
      it(label, async () => {
        const h = getHarness();
        const p = h.store().partition(fresh('bad'));
        const before = h.calls.length;
        await expect(call(p)).rejects.toBeInstanceOf(ValidationError);
        expect(h.calls.length).toBe(before);
        expect(await collect(p.list())).toEqual([]);
      });
    }

    it('empty and oversized partition names', () => {
      const s = getHarness().store();
      expect(() => s.partition('')).toThrow(ValidationError);
      expect(() => s.partition('p'.repeat(2049))).toThrow(ValidationError);
      expect(s.partition('p'.repeat(2048)).name.length).toBe(2048);
    });

    it('a previous pair of another key', async () => {
      const p = kv();
      const a = await p.put('a', 'v');
      await expect(p.atomicPut('b', 'v', { previous: a })).rejects.toThrow(/previous/);
      expect(await p.exists('b')).toBe(false);
    });
  });
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
