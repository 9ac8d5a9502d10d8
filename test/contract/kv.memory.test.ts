import { describe } from 'vitest';
import { type Harness, memoryHarness } from './harness.js';
import { kvContract } from './kv-contract.js';

describe('key/value contract on MemoryBackend (virtual clock)', () => {
  const h: Harness = memoryHarness();
  kvContract(() => h);
});
