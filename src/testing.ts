export { VirtualClock } from './contract/clock/virtual.js';
export type { RawAttributeValue, RawRow } from './contract/decode-row.js';
export type { MemoryBackendOptions } from './memory/backend.js';
export { MemoryBackend } from './memory/backend.js';
export * from './testing/index.js';
