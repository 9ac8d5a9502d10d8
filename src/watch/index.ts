export type {
  SessionJudge,
  WatchCause,
  WatchDeleteEvent,
  WatchDeps,
  WatchEvent,
  WatchOptions,
  WatchPrefixOptions,
  WatchPutEvent,
} from './types.js';
export { watchKey } from './watch-key.js';
export { watchPrefix } from './watch-prefix.js';
