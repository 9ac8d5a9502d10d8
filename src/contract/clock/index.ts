export { sleepWith, systemClock } from './system.js';
export type { Clock, TimerHandle, TimerOptions } from './types.js';
export { VirtualClock } from './virtual.js';
