export type { LocalDynamoFailure } from '../contract/errors/local.js';
export { LocalDynamoError } from '../contract/errors/local.js';
export { isNodeVersionSupportWarning, silenceNodeVersionWarning } from '../process/quiet.js';
export { localDynamoClient } from './local-client.js';
export type { LocalDynamo, LocalDynamoOptions } from './local-dynamo.js';
export { startLocalDynamo } from './local-dynamo.js';
