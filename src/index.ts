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
  InvalidAttribute,
  QueryInput,
  QueryPage,
  StoredItem,
  TransactItem,
  TransactResult,
  WriteInput,
  WriteResult,
} from './contract/backend.js';
export type { Clock, TimerHandle, TimerOptions } from './contract/clock/index.js';
export { systemClock } from './contract/clock/index.js';
export * from './contract/errors/index.js';
export type { AttributeNames } from './contract/names.js';
export { defaultAttributeNames } from './contract/names.js';
export type {
  MetricName,
  SpanName,
  Telemetry,
  TelemetryAttributes,
  TelemetryOptions,
  TelemetrySpan,
} from './contract/telemetry.js';
export { MAX_LEASE_MS } from './contract/validate.js';
export { WarningCode } from './contract/warn.js';
export type { DynamoBackendOptions } from './dynamodb/backend.js';
export type { CreateTableOptions, CreateTableResult } from './dynamodb/create-table.js';
export { createTable } from './dynamodb/create-table.js';
export type {
  IamPolicyDocument,
  IamPolicyOptions,
  IamPolicyStatement,
} from './dynamodb/iam-policy.js';
export { IAM_ACTIONS, iamPolicy } from './dynamodb/iam-policy.js';
export type { StreamPollOptions, StreamsClient } from './dynamodb/streams/options.js';
export type { GlobalTablePolicy } from './dynamodb/table-mode.js';
export { toTransactWriteItem } from './dynamodb/transact-item.js';
export type {
  CampaignOptions,
  ElectionOptions,
  Leader,
  LeaderCallbacks,
  LeaderRunOptions,
  LeaderRunResult,
} from './election/index.js';
export { Election, Leadership } from './election/index.js';
export type {
  AtomicPutOptions,
  DynastoreOptions,
  GetOptions,
  ListOptions,
  ListPage,
  ListPageOptions,
  PutOptions,
  SessionElectionOptions,
  SessionLockOptions,
  SessionOptions,
  SessionOwned,
  SessionSemaphoreOptions,
  SessionWithLockOptions,
  Value,
} from './facade/index.js';
export { Dynastore, KVPair, MAX_TTL_MS, Partition, Session } from './facade/index.js';
export type { DeleteOptions, PartitionContext } from './facade/partition.js';
export type {
  AcquireOptions,
  FenceCheck,
  LeaseInit,
  LeaseTerms,
  LegacyLayoutCheck,
  LegacyRows,
  LockContext,
  LockHolder,
  LockOptions,
  ResolvedLockOptions,
  RowTarget,
  SessionBinding,
  SessionCore,
  SessionTerms,
  WithLockOptions,
} from './lock/index.js';
export { Lease, Lock } from './lock/index.js';
export type { SemaphoreOptions } from './semaphore/index.js';
export { MAX_PERMITS, Semaphore } from './semaphore/index.js';
export * from './trigger/index.js';
export type {
  WatchCause,
  WatchDeleteEvent,
  WatchEvent,
  WatchOptions,
  WatchPrefixOptions,
  WatchPutEvent,
} from './watch/index.js';
export type {
  GroupNames,
  GroupSession,
  GroupStore,
  JoinOptions,
  MemberTable,
  ShardLease,
  WorkGroupOptions,
} from './workgroup/index.js';
export { Member, WorkGroup, workGroupPartition, workGroupShardKey } from './workgroup/index.js';
