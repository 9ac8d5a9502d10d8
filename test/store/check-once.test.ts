import { afterEach, describe, expect, it } from 'vitest';
import { Dynastore } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';

/** Counts `isWellFormed` scans of one string (the check reads the whole string when it is not Latin-1). */
function countScans(of: string): { readonly count: number } {
  const proto = String.prototype as unknown as { isWellFormed(this: string): boolean };
  const original = proto.isWellFormed;
  const counter = { count: 0 };
  proto.isWellFormed = function (this: string) {
    if (this === of) counter.count++;
    return original.call(this);
  };
  restore = () => {
    proto.isWellFormed = original;
  };
  return counter;
}
let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

describe('a payload is checked for a UTF-8 form once per write (issue 10 §2, kv put overhead)', () => {
  // not Latin-1, so each scan reads the whole string: 400 KB of CJK text costs ~0.5 ms per scan
  const value = '日本語のテキスト'.repeat(1_000);

  it('put, atomicPut: the public API checks the value, the backend boundary does not scan it again', async () => {
    const kv = new Dynastore({ backend: new MemoryBackend() }).partition('once');
    const scans = countScans(value);
    const pair = await kv.put('k', value);
    expect(scans.count).toBe(1);
    await kv.atomicPut('k', value, { previous: pair });
    expect(scans.count).toBe(2);
    await kv.atomicPut('new', value);
    expect(scans.count).toBe(3);
  });

  it('a direct backend write is still scanned at the boundary', async () => {
    const backend = new MemoryBackend();
    const scans = countScans(value);
    await backend.write({ partition: 'p', key: 'k', payload: value });
    expect(scans.count).toBe(1);
  });
});
