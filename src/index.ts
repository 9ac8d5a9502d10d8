export type { Backend, CallEvent, CallListener, ChangeRecord, StoredItem } from './backend/types.js';
export type { Clock, TimerHandle } from './clock/index.js';
export { systemClock } from './clock/index.js';
export type { CreateTableOptions, CreateTableResult } from './dynamodb/create-table.js';
export { createTable } from './dynamodb/create-table.js';
export type { AttributeNames } from './dynamodb/names.js';
export { defaultAttributeNames } from './dynamodb/names.js';
export { toTransactWriteItem } from './dynamodb/transact-item.js';
export type {
  CampaignOptions,
  ElectionOptions,
  Leader,
  LeaderCallbacks,
  LeaderRunOptions,
  LeaderRunResult,
} from './election/index.js';
export { DEFAULT_ELECTION_PARTITION, Election, Leadership } from './election/index.js';
export * from './errors/index.js';
export type { AcquireOptions, FenceCheck, LockHolder, LockOptions, WithLockOptions } from './lock/index.js';
export { Lease, Lock } from './lock/index.js';
export type { SemaphoreOptions } from './semaphore/index.js';
export { Semaphore } from './semaphore/index.js';
export type {
  AtomicPutOptions,
  DynastoreOptions,
  GetOptions,
  ListOptions,
  ListPage,
  ListPageOptions,
  PutOptions,
  Value,
} from './store/index.js';
export { Dynastore, KVPair, MAX_TTL_MS, Partition } from './store/index.js';
export type { DeleteOptions } from './store/partition.js';
