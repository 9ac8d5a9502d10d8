import { describe } from 'vitest';
import { type Harness, memoryHarness } from './harness.js';
import { kvContract } from './kv-contract.js';
import { sessionKeysContract } from './session-keys-contract.js';

describe('key/value contract on MemoryBackend (virtual clock)', () => {
  const h: Harness = memoryHarness();
  kvContract(() => h);
  sessionKeysContract(() => h, { leaseMs: 1_000, heartbeatMs: 300, maxClockSkewMs: 100 });
});
