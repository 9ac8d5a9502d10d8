import type { TestProject } from 'vitest/node';
import { type LocalDynamo, startLocalDynamo } from '../../src/testing/local-dynamo.js';
import { silenceNodeVersionWarning } from '../../src/testing/quiet.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The DynamoDB Local every test file shares (`inject('dynamoEndpoint')`). */
    dynamoEndpoint: string;
  }
}

/** Set to reuse a DynamoDB (Local) that is already running instead of starting one. */
const EXTERNAL_ENDPOINT = 'DYNASTORE_TEST_DYNAMODB_ENDPOINT';

let local: LocalDynamo | undefined;

/** Starts one DynamoDB Local for the whole run and hands its endpoint to the test files. */
export async function setup(project: TestProject): Promise<void> {
  silenceNodeVersionWarning();
  const external = process.env[EXTERNAL_ENDPOINT];
  if (external) {
    project.provide('dynamoEndpoint', external);
    return;
  }
  local = await startLocalDynamo({ startTimeoutMs: 60_000 });
  project.provide('dynamoEndpoint', local.endpoint);
}

export async function teardown(): Promise<void> {
  await local?.stop();
  local = undefined;
}
