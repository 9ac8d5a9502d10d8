import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../../chaos/faults/proxy.js';
import { AmbiguousWriteError, KeyModifiedError } from '../../src/contract/errors/store.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';

/**
 * Library bugs the chaos run found, each reproduced deterministically through the fault proxy,
 * and fixed: these are their regression tests (see docs/reliability.md).
 */

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let table: DynamoTable;
let proxy: FaultProxy;
let store: Dynastore;
let client: ReturnType<typeof localDynamoClient>;

beforeAll(async () => {
  table = await useDynamoTable();
  proxy = await FaultProxy.start({ port: Number(new URL(table.endpoint).port) }, undefined, 1);
  client = localDynamoClient(proxy.endpoint);
  store = new Dynastore({ client, tableName: table.tableName });
});

afterAll(async () => {
  client?.destroy();
  await proxy?.stop();
  await table?.cleanup();
});

describe('found by chaos: an answer lost after the write applied, then the SDK retry', () => {
  // atomicPut was fixed (a write id recognises the caller's own row): see quick-chaos.test.ts.
  it('put is applied once: the version grows by one', async () => {
    const kv = store.partition('bug-put');
    const first = await kv.put('k', 'v1');
    proxy.injectNext('write', 'dropAfterApply');
    const second = await kv.put('k', 'v2');
    expect(second.version).toBe(first.version + 1);
  });

  it('lock.acquire recognises its own grant instead of waiting out its own lease', async () => {
    const lock = store.lock('bug-acquire', { leaseMs: 1_500, maxClockSkewMs: 100 });
    proxy.injectNext('write', 'dropAfterApply');
    const started = performance.now();
    const lease = await lock.acquire({ waitMs: 10_000 });
    const elapsed = performance.now() - started;
    await lease.release();
    expect(elapsed).toBeLessThan(1_500);
  });
});

describe('found by chaos: unref()ed timers', () => {
  it('a script awaiting a contended acquire() stays alive until it gets the lock', () => {
    const script = `
      import { Dynastore } from './src/facade/dynastore.js';
      import { MemoryBackend } from './src/memory/backend.js';
      const store = new Dynastore({ backend: new MemoryBackend() });
      await store.lock('job', { leaseMs: 1_000, heartbeatMs: false, maxClockSkewMs: 100 }).acquire();
      const b = await store.lock('job', { leaseMs: 1_000, maxClockSkewMs: 100 }).acquire({ waitMs: 10_000 });
      console.log('B got the lock');
      await b.release();
    `;
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(out.stdout).toContain('B got the lock');
  });
});

describe('found by chaos: a compare-and-set applied, overwritten, then retried', () => {
  it('atomicPut does not report KeyModifiedError for a write that took effect', async () => {
    // The first attempt applies; its answer is held past the client's timeout. Meanwhile another
    // writer moves the row on. The SDK's retry then fails its condition against that writer's row:
    // the write id cannot recognise it, and the caller is told its CAS lost although it won.
    proxy.setPlan({ stallMs: 1_500 });
    const slow = localDynamoClient(proxy.endpoint, {
      requestHandler: { requestTimeout: 500, throwOnRequestTimeout: true },
    });
    try {
      const mine = new Dynastore({ client: slow, tableName: table.tableName }).partition('bug-cas-late');
      const other = new Dynastore({ client: table.client, tableName: table.tableName }).partition(
        'bug-cas-late',
      );
      const first = await other.put('k', 'v1');
      proxy.injectNext('write', 'timeoutAfterApply');
      const outcome = mine.atomicPut('k', 'mine', { previous: first }).catch((err: unknown) => err);
      let seen = await other.get('k');
      for (let i = 0; seen?.text() !== 'mine' && i < 100; i++) seen = await other.get('k');
      await other.atomicPut('k', 'theirs', { previous: seen as NonNullable<typeof seen> });
      const result = await outcome;
      expect(result).not.toBeInstanceOf(KeyModifiedError);
      expect(result).toBeInstanceOf(AmbiguousWriteError);
    } finally {
      slow.destroy();
      proxy.setPlan(undefined);
    }
  });
});
