export type * from './backend.js';
export { evaluate, isLive } from './evaluate.js';
