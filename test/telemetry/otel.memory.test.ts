import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { LeaseLostError, LockTimeoutError } from '../../src/contract/errors/lock.js';
import { ValidationError } from '../../src/contract/errors/store.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import { type OtelHarness, registerOtel } from '../support/otel.js';

let otel: OtelHarness;
beforeAll(() => {
  otel = registerOtel();
});
afterAll(() => otel.shutdown());
beforeEach(() => otel.resetSpans());

function world(
  options: ConstructorParameters<typeof Dynastore>[0] extends infer O ? Partial<O> : never = {},
) {
  const clock = new VirtualClock();
  const backend = new MemoryBackend({ clock });
  const store = (extra: Record<string, unknown> = {}) =>
    new Dynastore({ backend, clock, ...options, ...extra } as ConstructorParameters<typeof Dynastore>[0]);
  return { clock, backend, store };
}

/** The metric points of `name` whose attributes include `attrs`. */
async function points(name: string, attrs: Record<string, unknown> = {}) {
  const all = await otel.points(name);
  return all.filter((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v));
}

describe('OpenTelemetry with the SDK registered (memory backend, virtual clock)', () => {
  it('an acquire is a span with the lock name, outcome and token, and a duration with its outcome', async () => {
    const { store, clock } = world();
    const s = store();
    expect(s.telemetry).toBeDefined();
    const lease = await s.lock('otel/granted').acquire();
    const [span] = otel.spans('dynastore.lock.acquire');
    expect(span?.attributes).toMatchObject({
      'dynastore.lock.name': 'otel/granted',
      'dynastore.lock.outcome': 'granted',
      'dynastore.lock.token': lease.token.toString(),
      'dynastore.backend': 'memory',
    });
    expect(span?.status.code).toBe(0); // unset
    expect(
      await points('dynastore.lock.acquire.duration', {
        outcome: 'granted',
        'dynastore.lock.name': 'otel/granted',
      }),
    ).toEqual([expect.objectContaining({ value: 1 })]);
    await clock.advance(1_500);
    await lease.release();
    const [release] = otel.spans('dynastore.lock.release');
    expect(release?.attributes).toMatchObject({
      'dynastore.lock.name': 'otel/granted',
      'dynastore.lock.outcome': 'released',
    });
    const [hold] = await points('dynastore.lock.hold.duration', { 'dynastore.lock.name': 'otel/granted' });
    expect(hold?.value).toBe(1);
    expect(hold?.sum).toBeCloseTo(1.5, 3);
    expect(await points('dynastore.lease.lost', { 'dynastore.lock.name': 'otel/granted' })).toEqual([]);
  });

  it('timeout, tryAcquire refused, aborted and error outcomes', async () => {
    const { store, clock, backend } = world();
    const holder = await store().lock('otel/busy').acquire();
    const other = store().lock('otel/busy');
    expect(await other.tryAcquire()).toBeUndefined();
    const waiting = other.acquire({ waitMs: 500 });
    const timedOut = expect(waiting).rejects.toThrow(LockTimeoutError);
    await clock.advance(600);
    await timedOut;
    const controller = new AbortController();
    const aborted = other.acquire({ signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    const broken = new Dynastore({
      backend: new Proxy(backend, {
        get: (t, p) => (p === 'write' ? () => Promise.reject(new TypeError('bug')) : Reflect.get(t, p)),
      }),
      clock,
    });
    await expect(broken.lock('otel/error').tryAcquire()).rejects.toThrow(TypeError);
    const outcomes = otel.spans('dynastore.lock.acquire').map((s) => s.attributes['dynastore.lock.outcome']);
    expect(outcomes).toEqual(['granted', 'timeout', 'timeout', 'aborted', 'error']);
    const failed = otel.spans('dynastore.lock.acquire').at(-1);
    expect(failed?.status.code).toBe(2); // ERROR
    expect(failed?.attributes['error.type']).toBe('TypeError');
    const timeoutSpan = otel.spans('dynastore.lock.acquire')[2];
    expect(timeoutSpan?.status.code).toBe(0); // an expected end, not a failure
    expect(timeoutSpan?.attributes['error.type']).toBe('LockTimeoutError');
    for (const outcome of ['timeout', 'aborted', 'error'])
      expect((await points('dynastore.lock.acquire.duration', { outcome })).length, outcome).toBe(1);
    await holder.release();
  });

  it('heartbeats are renew spans; a lease that runs out counts as lost (expired) and its successor as a takeover', async () => {
    const { store, clock, backend } = world();
    const a = store();
    const lease = await a.lock('otel/renewed', { leaseMs: 3_000 }).acquire();
    await clock.advance(1_000); // heartbeat at leaseMs / 3
    const [renew] = otel.spans('dynastore.lease.renew');
    expect(renew?.attributes).toMatchObject({
      'dynastore.lock.name': 'otel/renewed',
      'dynastore.lock.outcome': 'renewed',
      'dynastore.lock.token': lease.token.toString(),
    });
    await lease.release();

    // a holder that stops renewing (a frozen process: its store fails every call)
    let frozen = false;
    const stuck = new Dynastore({
      backend: new Proxy(backend, {
        get: (t, p) => {
          const v = Reflect.get(t, p);
          return typeof v === 'function'
            ? (...args: unknown[]) => (frozen ? Promise.reject(new Error('frozen')) : v.apply(t, args))
            : v;
        },
      }),
      clock,
    });
    const old = await stuck.lock('otel/taken', { leaseMs: 1_000, maxClockSkewMs: 100 }).acquire();
    frozen = true;
    await clock.advance(1_100);
    expect(old.signal.reason).toBeInstanceOf(LeaseLostError);
    expect(
      await points('dynastore.lease.lost', { reason: 'expired', 'dynastore.lock.name': 'otel/taken' }),
    ).toEqual([expect.objectContaining({ value: 1 })]);
    const successor = a.lock('otel/taken', { leaseMs: 1_000, maxClockSkewMs: 100 }).acquire();
    await clock.advance(2_000);
    await (await successor).release();
    expect(
      await points('dynastore.lock.takeover', { rule: 'lease-expired', 'dynastore.lock.name': 'otel/taken' }),
    ).toEqual([expect.objectContaining({ value: 1 })]);
  });

  it('a lease lost to a deleted row counts with reason gone', async () => {
    const { store, clock, backend } = world();
    const lease = await store().lock('otel/gone', { leaseMs: 3_000 }).acquire();
    await backend.delete({ partition: lease.partition, key: lease.key });
    await clock.advance(1_000);
    expect((lease.signal.reason as LeaseLostError).reason).toBe('gone');
    expect(await points('dynastore.lease.lost', { reason: 'gone' })).toEqual([
      expect.objectContaining({ value: 1 }),
    ]);
  });

  it('sessions renew in dynastore.session.renew spans; an election campaign is the parent of its acquire', async () => {
    const { store, clock } = world();
    const s = store();
    const session = await s.session({ leaseMs: 3_000 });
    await clock.advance(1_000);
    const [renew] = otel.spans('dynastore.session.renew');
    expect(renew?.attributes).toMatchObject({
      'dynastore.session.id': session.id,
      'dynastore.lock.outcome': 'renewed',
    });
    await session.close();

    const leadership = await s.election('otel-scheduler', { leaseMs: 3_000 }).campaign('node-1');
    const [campaign] = otel.spans('dynastore.election.campaign');
    const acquire = otel.spans('dynastore.lock.acquire').at(-1);
    expect(campaign?.attributes).toMatchObject({
      'dynastore.election.name': 'otel-scheduler',
      'dynastore.election.candidate': 'node-1',
      'dynastore.lock.token': leadership.term.toString(),
    });
    expect(acquire?.parentSpanContext?.spanId).toBe(campaign?.spanContext().spanId);
    await leadership.resign();
  });

  it('lockName names locks in spans and metrics; telemetry: false turns it all off', async () => {
    const { store } = world();
    const named = store({ telemetry: { lockName: (key: string) => key.split('/')[0] } });
    await (await named.lock('tenant-7/job-123').acquire()).release();
    expect(otel.spans('dynastore.lock.acquire')[0]?.attributes['dynastore.lock.name']).toBe('tenant-7');
    expect(
      await points('dynastore.lock.acquire.duration', { 'dynastore.lock.name': 'tenant-7' }),
    ).toHaveLength(1);
    otel.resetSpans();
    const off = store({ telemetry: false });
    expect(off.telemetry).toBeUndefined();
    await (await off.lock('otel/off').acquire()).release();
    expect(otel.spans()).toEqual([]);
  });

  it('dynastore spans are active while it works: a span started inside is their child', async () => {
    const { store } = world();
    const tracer = trace.getTracer('fake-instrumentation');
    const s = store();
    const inner: string[] = [];
    const spy = new Proxy(s.backend, {
      get: (t, p) => {
        const v = Reflect.get(t, p);
        if (p !== 'write') return typeof v === 'function' ? v.bind(t) : v;
        return async (...args: unknown[]) => {
          const span = tracer.startSpan('backend.write');
          inner.push(span.spanContext().spanId);
          span.end();
          return (v as (...a: unknown[]) => unknown).apply(t, args);
        };
      },
    });
    const traced = new Dynastore({ backend: spy, clock: s.clock });
    await (await traced.lock('otel/parent').acquire()).release();
    const acquire = otel.spans('dynastore.lock.acquire')[0];
    const release = otel.spans('dynastore.lock.release')[0];
    const children = otel.spans('backend.write');
    expect(children).toHaveLength(2);
    expect(children[0]?.parentSpanContext?.spanId).toBe(acquire?.spanContext().spanId);
    expect(children[1]?.parentSpanContext?.spanId).toBe(release?.spanContext().spanId);
  });

  it('rejects bad telemetry options', () => {
    const { store } = world();
    expect(() => store({ telemetry: { lockname: () => 'x' } })).toThrow(ValidationError);
    expect(() => store({ telemetry: { lockName: 'x' } })).toThrow(ValidationError);
    expect(() => store({ telemetry: { api: {} } })).toThrow(/not the @opentelemetry\/api module/);
  });
});

describe('a failing metrics SDK', () => {
  it('never breaks a lease: the failure goes to the OpenTelemetry diagnostic logger', async () => {
    const api = await import('@opentelemetry/api');
    const errors: unknown[] = [];
    api.diag.setLogger(
      {
        error: (...args: unknown[]) => errors.push(args),
        warn: () => {},
        info: () => {},
        debug: () => {},
        verbose: () => {},
      },
      api.DiagLogLevel.ERROR,
    );
    const broken = {
      ...api,
      metrics: {
        getMeterProvider: () => ({
          getMeter: () => {
            throw new Error('meter broken');
          },
        }),
      },
    };
    const clock = new VirtualClock();
    const store = new Dynastore({ backend: new MemoryBackend({ clock }), clock, telemetry: { api: broken } });
    const lease = await store.lock('otel/broken-meter').acquire();
    await lease.release();
    expect(lease.signal.aborted).toBe(true);
    expect(errors.length).toBeGreaterThanOrEqual(2); // acquire duration, hold duration
    api.diag.disable();
  });
});
