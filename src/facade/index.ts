export { KVPair } from '../contract/kv-pair.js';
export { MAX_TTL_MS } from '../contract/validate.js';
export type { Value } from '../contract/value.js';
export type { DynastoreOptions } from './dynastore.js';
export { Dynastore } from './dynastore.js';
export type {
  AtomicPutOptions,
  GetOptions,
  ListOptions,
  ListPage,
  ListPageOptions,
  PutOptions,
} from './partition.js';
export { Partition } from './partition.js';
export type {
  SessionElectionOptions,
  SessionLockOptions,
  SessionOptions,
  SessionOwned,
  SessionSemaphoreOptions,
  SessionWithLockOptions,
} from './session.js';
export { Session } from './session.js';
