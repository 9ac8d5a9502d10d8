import { beforeAll, describe } from 'vitest';
import { dynamoHarness, type Harness } from '../contract/harness.js';
import { electionContract } from './election-contract.js';

describe('election on DynamoDB Local (short leases)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await dynamoHarness();
  });
  electionContract(() => h, { leaseMs: 800, heartbeatMs: 200, maxClockSkewMs: 100 });
});
