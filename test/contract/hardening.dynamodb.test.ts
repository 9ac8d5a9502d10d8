import { beforeAll, describe } from 'vitest';
import { hardeningContract } from './hardening-contract.js';
import { dynamoHarness, type Harness } from './harness.js';

describe('hardening (issue 12) on DynamoDB Local', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await dynamoHarness();
  });
  hardeningContract(() => h);
});
