export type { SemaphoreOptions } from './semaphore.js';
export { DEFAULT_SEMAPHORE_PARTITION, MAX_PERMITS, Semaphore } from './semaphore.js';
