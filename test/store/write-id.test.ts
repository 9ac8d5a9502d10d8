import { describe, expect, it } from 'vitest';
import { newWriteId } from '../../src/contract/write-id.js';

describe('write ids', () => {
  it('are unique within a process and carry a random per-process prefix', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newWriteId()));
    expect(ids.size).toBe(10_000);
    const [prefix] = newWriteId().split('.');
    expect(prefix).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });
});
