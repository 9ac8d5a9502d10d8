export type { Clock, TimerHandle } from './types.js';
export { systemClock, sleepWith } from './system.js';
export { VirtualClock } from './virtual.js';
