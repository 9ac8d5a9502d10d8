export type {
  AttrName,
  Backend,
  CallEvent,
  CallListener,
  ChangeFeed,
  ChangeRecord,
  Condition,
  DeleteInput,
  DeleteResult,
  FeedSubscription,
  FieldValue,
  QueryInput,
  QueryPage,
  StoredItem,
  TransactItem,
  TransactResult,
  WriteInput,
  WriteResult,
} from './backend/types.js';
export type { Clock, TimerHandle, TimerOptions } from './clock/index.js';
export { systemClock } from './clock/index.js';
export type { DynamoBackendOptions } from './dynamodb/backend.js';
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
export type {
  AcquireOptions,
  FenceCheck,
  LockContext,
  LockHolder,
  LockOptions,
  ResolvedLockOptions,
  WithLockOptions,
} from './lock/index.js';
export { Lease, Lock } from './lock/index.js';
export type { LeaseInit } from './lock/lease.js';
export type { LeaseTerms, RowTarget } from './lock/row.js';
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
export type { DeleteOptions, PartitionContext } from './store/partition.js';
export type { StreamPollOptions, StreamsClient } from './watch/dynamo/options.js';
export type {
  WatchCause,
  WatchDeleteEvent,
  WatchEvent,
  WatchOptions,
  WatchPrefixOptions,
  WatchPutEvent,
} from './watch/index.js';
