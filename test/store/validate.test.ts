import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/contract/errors/index.js';
import { checkDuration, resolveOptions } from '../../src/contract/validate.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';

describe('options and construction', () => {
  it('fills defaults and rejects unknown option names, naming the known ones', () => {
    expect(resolveOptions('x', { a: 2 }, { a: 1, b: 'z' })).toEqual({ a: 2, b: 'z' });
    expect(() => resolveOptions('x', { c: 1 } as never, { a: 1 })).toThrow(
      /x\.c: unknown option \(known: a\)/,
    );
    expect(() => resolveOptions('x', 'nope' as never, { a: 1 })).toThrow(ValidationError);
  });

  it('checks durations', () => {
    expect(() => checkDuration('ttlMs', 0)).toThrow(/> 0/);
    expect(checkDuration('x', 0, { allowZero: true })).toBe(0);
    expect(() => checkDuration('ttlMs', '5')).toThrow(/finite number/);
  });

  it('refuses a Dynastore without a table or backend, with a bad table name, or with both', () => {
    expect(() => new Dynastore({})).toThrow(/client/);
    const client = { send: async () => ({}) } as never;
    expect(() => new Dynastore({ client })).toThrow(/tableName/);
    expect(() => new Dynastore({ client, tableName: 'a' })).toThrow(/3-255/);
    expect(() => new Dynastore({ client, tableName: 'bad name!' })).toThrow(ValidationError);
    expect(() => new Dynastore({ backend: new MemoryBackend(), tableName: 'x' })).toThrow(/excludes/);
    expect(() => new Dynastore({ backend: new MemoryBackend(), tabel: 'x' } as never)).toThrow(
      /unknown option/,
    );
    expect(() => new Dynastore({ client, tableName: 'ok-table', attributeNames: { key: 'id' } })).toThrow(
      /used twice/,
    );
  });
});
