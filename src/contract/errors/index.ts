export type { ErrorCodeName } from './base.js';
export { DynastoreError, ErrorCode } from './base.js';
export { GlobalTableError, type GlobalTableMode, type TableUse } from './global-table.js';
export { LocalDynamoError, type LocalDynamoFailure } from './local.js';
export {
  FencedError,
  type LeaseEndReason,
  LeaseLostError,
  LegacyLayoutError,
  LockTimeoutError,
} from './lock.js';
export {
  AmbiguousWriteError,
  BackendError,
  InvalidItemError,
  KeyExistsError,
  KeyModifiedError,
  KeyNotFoundError,
  TableMismatchError,
  ValidationError,
} from './store.js';
export { StreamDisabledError, WatchCompactedError } from './watch.js';
