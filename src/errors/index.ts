export { DynastoreError, ErrorCode } from './base.js';
export type { ErrorCodeName } from './base.js';
export {
  KeyExistsError,
  KeyModifiedError,
  KeyNotFoundError,
  ValidationError,
  BackendError,
  TableMismatchError,
} from './store.js';
