export { WorkGroup, workGroupPartition, workGroupShardKey } from './group.js';
export { type GroupNames, Member } from './member.js';
export { type JoinOptions, MAX_SHARDS, type WorkGroupOptions } from './options.js';
export { type GroupView, planShards, type ShardPlan, targets } from './plan.js';
export type { GroupSession, GroupStore, MemberTable, ShardLease } from './types.js';
