export type { LocalDynamoFailure } from '../errors/local.js';
export { LocalDynamoError } from '../errors/local.js';
export { localDynamoClient } from './local-client.js';
export type { LocalDynamo, LocalDynamoOptions } from './local-dynamo.js';
export { startLocalDynamo } from './local-dynamo.js';
export { isNodeVersionSupportWarning, silenceNodeVersionWarning } from './quiet.js';
