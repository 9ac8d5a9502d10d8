export { Dynastore } from './dynastore.js';
export type { DynastoreOptions } from './dynastore.js';
export { Partition } from './partition.js';
export type { AtomicPutOptions, GetOptions, ListOptions, ListPage, ListPageOptions, PutOptions } from './partition.js';
export { KVPair } from './kv-pair.js';
export type { Value } from './value.js';
