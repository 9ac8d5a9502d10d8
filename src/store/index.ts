export type { DynastoreOptions } from './dynastore.js';
export { Dynastore } from './dynastore.js';
export { KVPair } from './kv-pair.js';
export type {
  AtomicPutOptions,
  GetOptions,
  ListOptions,
  ListPage,
  ListPageOptions,
  PutOptions,
} from './partition.js';
export { Partition } from './partition.js';
export { MAX_TTL_MS } from './validate.js';
export type { Value } from './value.js';
