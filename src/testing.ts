export { MemoryBackend } from './memory/backend.js';
export type { MemoryBackendOptions } from './memory/backend.js';
export { VirtualClock } from './clock/virtual.js';
export { startLocalDynamo } from './testing/local-dynamo.js';
export type { LocalDynamo, LocalDynamoOptions } from './testing/local-dynamo.js';
