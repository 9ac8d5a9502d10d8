import { createServer, type Server } from 'node:http';
import type { TestProject } from 'vitest/node';
import { silenceNodeVersionWarning } from '../../src/process/quiet.js';

let server: Server | undefined;

/** The unit run's broker: it refuses, so a suite that needs DynamoDB Local fails with a clear message. */
export async function setup(project: TestProject): Promise<void> {
  silenceNodeVersionWarning();
  server = createServer((_req, res) => {
    res.statusCode = 503;
    res.end('the unit run (npm run test:unit) has no DynamoDB Local: run this suite with npm test');
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('broker: no TCP address');
  project.provide('dynamoBroker', `http://127.0.0.1:${address.port}/`);
}

export async function teardown(): Promise<void> {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
