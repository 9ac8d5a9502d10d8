import { describe } from 'vitest';
import { hardeningContract } from './hardening-contract.js';
import { type Harness, memoryHarness } from './harness.js';

describe('hardening (issue 12) on MemoryBackend', () => {
  const h: Harness = memoryHarness();
  hardeningContract(() => h);
});
