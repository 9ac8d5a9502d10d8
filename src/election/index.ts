export type { CampaignOptions } from './election.js';
export { Election } from './election.js';
export { Leadership } from './leadership.js';
export type { Leader } from './observe.js';
export type { ElectionOptions } from './options.js';
export type { LeaderCallbacks, LeaderRunOptions, LeaderRunResult } from './runner.js';
