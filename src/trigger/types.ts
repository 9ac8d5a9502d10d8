import type { FieldValue } from '../contract/backend.js';
import type { AttributeNames } from '../contract/names.js';
import type { WatchDeleteEvent, WatchPutEvent } from '../watch/types.js';

/**
 * An attribute value as a Lambda event carries it: the Streams API's JSON shape, binary (`B`,
 * `BS`) as base64 text.
 *
 * @example
 * ```ts
 * const v: LambdaAttributeValue = { B: 'AQI=' };
 * ```
 */
export interface LambdaAttributeValue {
  readonly S?: string;
  readonly N?: string;
  readonly B?: string | Uint8Array;
  readonly BOOL?: boolean;
  readonly NULL?: boolean;
  readonly M?: Readonly<Record<string, LambdaAttributeValue>>;
  readonly L?: readonly LambdaAttributeValue[];
  readonly SS?: readonly string[];
  readonly NS?: readonly string[];
  readonly BS?: readonly (string | Uint8Array)[];
}

/**
 * One record of a DynamoDB Streams Lambda event (what an event source mapping delivers).
 * The `DynamoDBRecord` type of `@types/aws-lambda` fits it.
 *
 * @example
 * ```ts
 * const record: DynamoDBStreamRecord = {
 *   eventName: 'INSERT',
 *   dynamodb: { Keys: { id: { S: 'config' }, name: { S: 'a' } }, SequenceNumber: '100' },
 * };
 * ```
 */
export interface DynamoDBStreamRecord {
  readonly eventID?: string;
  /** `INSERT`, `MODIFY` or `REMOVE`. */
  readonly eventName?: string;
  readonly eventVersion?: string;
  readonly eventSource?: string;
  readonly awsRegion?: string;
  /** The stream's ARN. */
  readonly eventSourceARN?: string;
  /** `{ type: 'Service', principalId: 'dynamodb.amazonaws.com' }` on DynamoDB's TTL deletes. */
  readonly userIdentity?: { readonly type?: string; readonly principalId?: string } | null;
  readonly dynamodb?: {
    /** Epoch seconds. */
    readonly ApproximateCreationDateTime?: number | string;
    readonly Keys?: Readonly<Record<string, LambdaAttributeValue>>;
    readonly NewImage?: Readonly<Record<string, LambdaAttributeValue>>;
    readonly OldImage?: Readonly<Record<string, LambdaAttributeValue>>;
    readonly SequenceNumber?: string;
    readonly SizeBytes?: number;
    readonly StreamViewType?: string;
  };
}

/**
 * A DynamoDB Streams Lambda event. The `DynamoDBStreamEvent` type of `@types/aws-lambda` fits it.
 *
 * @example
 * ```ts
 * export const handler = async (event: DynamoDBStreamEvent) => forEachChange(event, (c) => console.log(c.key));
 * ```
 */
export interface DynamoDBStreamEvent {
  readonly Records: readonly DynamoDBStreamRecord[];
}

/**
 * Where a change came from: its stream record.
 *
 * @example
 * ```ts
 * console.log(change.record.sequenceNumber, change.record.createdAt?.toISOString());
 * ```
 */
export interface StreamRecordInfo {
  /** Position of the record in `event.Records`. */
  readonly index: number;
  readonly eventID?: string;
  /** The record's `dynamodb.SequenceNumber` (what a batch item failure names). */
  readonly sequenceNumber?: string;
  readonly eventSourceARN?: string;
  /** `dynamodb.ApproximateCreationDateTime`, when the record has it. */
  readonly createdAt?: Date;
}

/**
 * What a stream change adds to a `watch()` event: its record, whether the row is a coordination
 * row (lock, semaphore, election, session; only with `includeCoordinationRows`), and the row's
 * other attributes (a lock row's `owner`, `token`, ...).
 *
 * @example
 * ```ts
 * if (change.coordination) console.log('lock row', change.key, change.fields.owner);
 * ```
 */
export interface StreamChangeExtras {
  readonly record: StreamRecordInfo;
  /** A lock, semaphore, election or session row (see `isCoordinationRow`). */
  readonly coordination: boolean;
  /** Attributes of the row other than the layout's (of the new image; of the old one for a delete). */
  readonly fields: Readonly<Record<string, FieldValue>>;
}

/**
 * One change from a Lambda stream event: the event `watch()` emits (`type`, `partition`, `key`,
 * `pair` or `invalid`, `previous`, `cause`) plus its record.
 *
 * @example
 * ```ts
 * for (const c of changesFromStreamEvent(event)) {
 *   if (c.type === 'put') console.log(c.key, c.pair.text());
 *   else if (c.invalid) console.error(c.invalid.message);
 *   else console.log(c.key, 'deleted', c.cause);
 * }
 * ```
 */
export type StreamChange = (WatchPutEvent & StreamChangeExtras) | (WatchDeleteEvent & StreamChangeExtras);

/**
 * Options of `changesFromStreamEvent` and `forEachChange`.
 *
 * @example
 * ```ts
 * changesFromStreamEvent(event, { partition: 'jobs', prefix: 'eu/' });
 * ```
 */
export interface StreamChangesOptions {
  /** The table's attribute names, when not Go dynastore's. @default defaultAttributeNames */
  readonly attributeNames?: Partial<AttributeNames>;
  /** Only changes of this partition. @default undefined (every partition) */
  readonly partition?: string;
  /** Only changes of keys starting with this (within the partition, if one is given). @default undefined */
  readonly prefix?: string;
  /** Also report lock, semaphore, election and session rows. @default false */
  readonly includeCoordinationRows?: boolean;
}

/**
 * Options of `forEachChange`: those of `changesFromStreamEvent`, and who hears of a handler's
 * error (the error is also reported to Lambda as the batch item failure).
 *
 * @example
 * ```ts
 * await forEachChange(event, handle, { partition: 'jobs', onError: (err, c) => log.error({ err, key: c.key }) });
 * ```
 */
export interface ForEachChangeOptions extends StreamChangesOptions {
  /** Told of each error a handler threw. @default logs it with `console.error` */
  readonly onError?: (error: unknown, change: StreamChange) => void;
}

/**
 * What `forEachChange` returns: Lambda's partial batch response (the event source mapping
 * must list `ReportBatchItemFailures` in `FunctionResponseTypes`).
 *
 * @example
 * ```ts
 * const result: BatchResponse = { batchItemFailures: [{ itemIdentifier: '4000000000001234' }] };
 * ```
 */
export interface BatchResponse {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}
