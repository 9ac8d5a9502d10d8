import { describe } from 'vitest';
import { memoryHarness } from '../contract/harness.js';
import { sessionContract } from './session-contract.js';

describe('sessions on the memory backend (virtual clock)', () => {
  sessionContract(() => memoryHarness(), { leaseMs: 1_000, heartbeatMs: 300, maxClockSkewMs: 100 });
});
