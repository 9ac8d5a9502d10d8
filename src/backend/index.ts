export { evaluate, isLive } from './evaluate.js';
export type * from './types.js';
