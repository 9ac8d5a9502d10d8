import type { CallEvent } from '../../src/backend/types.js';
import { VirtualClock } from '../../src/clock/virtual.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import { Dynastore } from '../../src/store/dynastore.js';

/** One backend under test, with a way to let time pass that suits it. */
export interface Harness {
  readonly name: 'memory' | 'dynamodb';
  /** A store on the shared backend; `calls` collects its call events. */
  store(): Dynastore;
  readonly calls: CallEvent[];
  /** The store's wall clock. */
  now(): number;
  /** Lets `ms` of (virtual or real) time pass. */
  passTime(ms: number): Promise<void>;
}

export function memoryHarness(): Harness {
  const clock = new VirtualClock(Date.now());
  const calls: CallEvent[] = [];
  const backend = new MemoryBackend({ clock, onCall: (e) => calls.push(e) });
  return {
    name: 'memory',
    calls,
    store: () => new Dynastore({ backend, clock }),
    now: () => clock.now(),
    passTime: (ms) => clock.advance(ms),
  };
}

export async function dynamoHarness(): Promise<Harness> {
  const { useDynamoTable } = await import('../support/dynamo.js');
  const table = await useDynamoTable();
  const calls: CallEvent[] = [];
  return {
    name: 'dynamodb',
    calls,
    store: () =>
      new Dynastore({ client: table.client, tableName: table.tableName, onCall: (e) => calls.push(e) }),
    now: () => Date.now(),
    passTime: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
