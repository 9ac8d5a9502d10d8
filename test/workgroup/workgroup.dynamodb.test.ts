import { beforeAll, describe } from 'vitest';
import { dynamoHarness, type Harness } from '../contract/harness.js';
import { workGroupContract } from './workgroup-contract.js';

describe('work groups on DynamoDB Local', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await dynamoHarness();
    // warm the client and DynamoDB Local before any lease's clock starts
    const kv = h.store().partition('warm-up');
    for (let i = 0; i < 5; i++) await Promise.all(Array.from({ length: 5 }, (_, j) => kv.put(`k${j}`, 'v')));
  });
  workGroupContract(() => h, { leaseMs: 2_000, heartbeatMs: 600, maxClockSkewMs: 200 }, 12);
});
