export type * from './types.js';
export { evaluate, isLive } from './evaluate.js';
