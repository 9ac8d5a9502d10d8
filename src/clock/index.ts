export { sleepWith, systemClock } from './system.js';
export type { Clock, TimerHandle } from './types.js';
export { VirtualClock } from './virtual.js';
