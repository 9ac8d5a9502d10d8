import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `npm run test:unit`: the suites that need no DynamoDB Local (memory backend, virtual clock, pure
 * code), in seconds and without Java. A suite counts as needing DynamoDB when its name says
 * `dynamo` or its source asks for the run's DynamoDB Local or spawns a process that does; a
 * misclassified suite fails loudly (the unit run provides no DynamoDB Local).
 */
const NEEDS_DYNAMODB =
  /useDynamoTable|dynamoEndpoint|startLocalDynamo|localDynamoClient|runCli|run-cli|runScript|run-script/;

function unitSuites(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts') && !/dynamo/i.test(f))
    .map((f) => join(dir, f))
    .filter((f) => !NEEDS_DYNAMODB.test(readFileSync(f, 'utf8')));
}

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: unitSuites('test'),
    globalSetup: ['test/support/unit-global-setup.ts'],
  },
});
