/**
 * `dynastore/lambda`: what a Lambda function attached to the table's stream needs, and nothing
 * that loads the AWS SDK, so a handler imports it cheaply. The same functions are exported from
 * `dynastore`.
 */
export * from './contract/errors/index.js';
export { KVPair } from './contract/kv-pair.js';
export type { AttributeNames } from './contract/names.js';
export { defaultAttributeNames } from './contract/names.js';
export * from './trigger/index.js';
export type { WatchCause, WatchDeleteEvent, WatchEvent, WatchPutEvent } from './watch/types.js';
