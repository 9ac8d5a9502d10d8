export { Dynastore, Partition, KVPair } from './store/index.js';
export type {
  DynastoreOptions,
  AtomicPutOptions,
  GetOptions,
  ListOptions,
  ListPage,
  ListPageOptions,
  PutOptions,
  Value,
} from './store/index.js';
export { createTable } from './dynamodb/create-table.js';
export type { CreateTableOptions } from './dynamodb/create-table.js';
export { defaultAttributeNames } from './dynamodb/names.js';
export type { AttributeNames } from './dynamodb/names.js';
export { systemClock } from './clock/index.js';
export type { Clock, TimerHandle } from './clock/index.js';
export type { Backend, CallEvent, CallListener, ChangeRecord, StoredItem } from './backend/types.js';
export * from './errors/index.js';
