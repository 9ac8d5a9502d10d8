import { describe, expect, it } from 'vitest';
import { BASE_BACKOFF_MS, backoffMs, equalJitterMs } from '../../src/contract/backoff.js';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { BackendError, isRetryable, ValidationError } from '../../src/contract/errors/store.js';
import { queryPages } from '../../src/contract/query-pages.js';
import { reportCall } from '../../src/contract/report-call.js';
import { retry } from '../../src/contract/retry.js';
import { MemoryBackend } from '../../src/memory/backend.js';

describe('one backoff formula', () => {
  it('lock backoff is equal jitter from 20 ms, attempt 1 undoubled, capped', () => {
    for (const r of [0, 0.25, 0.999]) {
      expect(backoffMs(1, 1_000, () => r)).toBe(equalJitterMs(0, BASE_BACKOFF_MS, 1_000, () => r));
      expect(backoffMs(4, 1_000, () => r)).toBeCloseTo(160 * (0.5 + r / 2), 9);
      expect(backoffMs(40, 1_000, () => r)).toBeCloseTo(1_000 * (0.5 + r / 2), 9);
    }
  });

  it('retry waits equal jitter from 100 ms, first retry undoubled, capped at maxMs', async () => {
    const clock = new VirtualClock();
    const waits: number[] = [];
    let tries = 0;
    const done = retry(
      async () => {
        if (++tries < 8) throw new Error('busy');
        return 'ok';
      },
      { clock, retryable: () => true, random: () => 0, onRetry: (_e, _a, ms) => waits.push(ms) },
    );
    await clock.advanceUntil(() => tries >= 8, 60_000);
    await expect(done).resolves.toBe('ok');
    expect(waits).toEqual([50, 100, 200, 400, 800, 1_600, 2_500]);
  });
});

describe('one retry rule above the backends', () => {
  it('is BackendError.retryable and nothing else', () => {
    expect(isRetryable(new BackendError('GetItem', 'throttled', true))).toBe(true);
    expect(isRetryable(new BackendError('GetItem', 'bad', false))).toBe(false);
    expect(isRetryable(Object.assign(new Error('x'), { name: 'ThrottlingException' }))).toBe(false);
    expect(isRetryable(new ValidationError('f', 'bad'))).toBe(false);
    expect(isRetryable(undefined)).toBe(false);
  });
});

describe('queryPages', () => {
  it('walks every page once, from input.after, and stops when the consumer stops', async () => {
    const backend = new MemoryBackend();
    for (let i = 0; i < 7; i++) await backend.write({ partition: 'p', key: `k${i}`, payload: 'v' });
    const queried: (string | undefined)[] = [];
    const query = backend.query.bind(backend);
    backend.query = (input) => {
      queried.push(input.after);
      return query(input);
    };
    const keys: string[] = [];
    for await (const page of queryPages(backend, { partition: 'p', limit: 3, consistent: true })) {
      keys.push(...page.items.map((i) => i.key));
    }
    expect(keys).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
    expect(queried).toEqual([undefined, 'k2', 'k5']);
    queried.length = 0;
    for await (const page of queryPages(backend, { partition: 'p', limit: 2, after: 'k1' })) {
      expect(page.items.map((i) => i.key)).toEqual(['k2', 'k3']);
      break;
    }
    expect(queried).toEqual(['k1']);
  });
});

describe('reportCall', () => {
  it('builds the event only for a listener and swallows what the listener throws', () => {
    let built = 0;
    const event = () => {
      built++;
      return { operation: 'GetItem', table: 't', durationMs: 1 };
    };
    reportCall(undefined, event);
    expect(built).toBe(0);
    const seen: unknown[] = [];
    reportCall((e) => seen.push(e), event);
    expect(seen).toEqual([{ operation: 'GetItem', table: 't', durationMs: 1 }]);
    expect(() =>
      reportCall(() => {
        throw new Error('metrics down');
      }, event),
    ).not.toThrow();
  });
});

describe('one attribute-name resolver', () => {
  it('gives createTable the rule of new Dynastore: all six names different', async () => {
    const { resolveKeyNames } = await import('../../src/dynamodb/create-table-input.js');
    const { resolveAttributeNames } = await import('../../src/contract/names.js');
    // `payload` colliding with the sort key: Dynastore always refused it, createTable now too
    for (const resolve of [resolveKeyNames, resolveAttributeNames]) {
      expect(() => resolve({ payload: 'name' })).toThrow(/attributeNames\.payload.*"name" is used twice/);
      expect(() => resolve({ key: 'id' })).toThrow(ValidationError);
      expect(() => resolve({ partition: '' })).toThrow(/attributeNames\.partition.*1 to 255 bytes/);
      expect(() => resolve({ colour: 'x' } as never)).toThrow(ValidationError);
    }
    expect(resolveKeyNames({ expires: 'ttl' })).toEqual({ partition: 'id', key: 'name', expires: 'ttl' });
  });
});
