export { MemoryBackend } from './memory/backend.js';
export type { MemoryBackendOptions } from './memory/backend.js';
export { VirtualClock } from './clock/virtual.js';
export * from './testing/index.js';
