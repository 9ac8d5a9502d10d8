export { changesFromStreamEvent } from './changes.js';
export type { FilterCriteria, StreamFilterOptions } from './filter-criteria.js';
export { streamFilterCriteria } from './filter-criteria.js';
export { forEachChange } from './for-each-change.js';
export type {
  BatchResponse,
  DynamoDBStreamEvent,
  DynamoDBStreamRecord,
  ForEachChangeOptions,
  LambdaAttributeValue,
  StreamChange,
  StreamChangeExtras,
  StreamChangesOptions,
  StreamRecordInfo,
} from './types.js';
