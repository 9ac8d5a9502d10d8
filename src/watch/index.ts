export type {
  WatchCause,
  WatchDeleteEvent,
  WatchDeps,
  WatchEvent,
  WatchOptions,
  WatchPrefixOptions,
  WatchPutEvent,
  SessionJudge,
} from './types.js';
export { watchKey } from './watch-key.js';
export { watchPrefix } from './watch-prefix.js';
