import { beforeAll, describe } from 'vitest';
import { dynamoHarness, type Harness } from '../contract/harness.js';
import { sessionContract } from './session-contract.js';

describe('sessions on DynamoDB Local (short leases)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await dynamoHarness();
    // the first calls on a fresh table and client are slow (connection, DynamoDB Local's JIT):
    // warm up before any lease's clock starts
    const kv = h.store().partition('warm-up');
    for (let i = 0; i < 5; i++) await Promise.all(Array.from({ length: 5 }, (_, j) => kv.put(`k${j}`, 'v')));
  });
  sessionContract(() => h, { leaseMs: 1_500, heartbeatMs: 400, maxClockSkewMs: 150 });
});
