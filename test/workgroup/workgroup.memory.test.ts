import { describe } from 'vitest';
import { memoryHarness } from '../contract/harness.js';
import { workGroupContract } from './workgroup-contract.js';

describe('work groups on the memory backend (virtual clock)', () => {
  const h = memoryHarness();
  workGroupContract(() => h, { leaseMs: 2_000, heartbeatMs: 600, maxClockSkewMs: 200 }, 16);
});
