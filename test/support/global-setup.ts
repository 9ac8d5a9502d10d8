import { createServer, type Server } from 'node:http';
import type { TestProject } from 'vitest/node';
import { silenceNodeVersionWarning } from '../../src/process/quiet.js';
import { type LocalDynamo, startLocalDynamo } from '../../src/testing/local-dynamo.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /**
     * Where test files ask for the run's shared DynamoDB Local (see `dynamoEndpoint()` in
     * `test/support/dynamo.ts`). DynamoDB Local starts on the first request, so a run of
     * memory-only files never starts Java.
     */
    dynamoBroker: string;
  }
}

/** Set to reuse a DynamoDB (Local) that is already running instead of starting one. */
const EXTERNAL_ENDPOINT = 'DYNASTORE_TEST_DYNAMODB_ENDPOINT';

let local: Promise<LocalDynamo> | undefined;
let server: Server | undefined;

/** The run's DynamoDB endpoint, starting DynamoDB Local on the first call. */
function endpoint(): Promise<string> {
  const external = process.env[EXTERNAL_ENDPOINT];
  if (external) return Promise.resolve(external);
  local ??= startLocalDynamo({ startTimeoutMs: 60_000 });
  return local.then((l) => l.endpoint);
}

/** Starts the broker that hands the shared DynamoDB Local's endpoint to the test files. */
export async function setup(project: TestProject): Promise<void> {
  silenceNodeVersionWarning();
  server = createServer((_req, res) => {
    endpoint().then(
      (url) => res.end(url),
      (err: unknown) => {
        res.statusCode = 500;
        res.end(err instanceof Error ? (err.stack ?? err.message) : String(err));
      },
    );
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('broker: no TCP address');
  project.provide('dynamoBroker', `http://127.0.0.1:${address.port}/`);
}

export async function teardown(): Promise<void> {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  const started = local;
  local = undefined;
  await started?.then((l) => l.stop()).catch(() => {});
}
