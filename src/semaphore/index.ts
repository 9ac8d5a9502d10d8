export type { SemaphoreOptions } from './semaphore.js';
export { MAX_PERMITS, Semaphore } from './semaphore.js';
