export type { RawAttributeValue, RawRow } from './backend/decode-row.js';
export { VirtualClock } from './clock/virtual.js';
export type { MemoryBackendOptions } from './memory/backend.js';
export { MemoryBackend } from './memory/backend.js';
export * from './testing/index.js';
