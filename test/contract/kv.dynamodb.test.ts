import { beforeAll, describe } from 'vitest';
import { dynamoHarness, type Harness } from './harness.js';
import { kvContract } from './kv-contract.js';
import { sessionKeysContract } from './session-keys-contract.js';

describe('key/value contract on DynamoDB Local', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await dynamoHarness();
  });
  kvContract(() => h);
  sessionKeysContract(() => h, { leaseMs: 1_500, heartbeatMs: 400, maxClockSkewMs: 150 });
});
